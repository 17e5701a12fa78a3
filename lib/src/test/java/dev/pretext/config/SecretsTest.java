package dev.pretext.config;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Credentials stay out of config.conf, report.json and messages; nothing else is touched. */
class SecretsTest {
    @Test
    void credentialLikeKeysAreRecognisedAndOrdinaryOnesAreNot() {
        for (String k : List.of("spark.hadoop.fs.s3a.secret.key", "spark.hadoop.fs.s3a.access.key", "fs.s3a.session.token",
                "fs.s3a.server-side-encryption.key", "fs.azure.account.key.acct.blob.core.windows.net", "db.password",
                "spark.ssl.keyPassword", "GITHUB_TOKEN", "mlflow.tracking-token", "hadoop.security.credential.provider.path",
                "api_key", "spark.authenticate.secret", "storage.sas", "aws_secret_access_key", "private-key")) {
            assertTrue(Secrets.isSecretKey(k), k);
        }
        for (String k : List.of("data.input", "train.epochs", "spark.master", "describe.hog.block-size", "run.dir",
                "model.backbone", "keys", "monkey")) {
            assertFalse(Secrets.isSecretKey(k), k);
        }
    }

    @Test
    void aSavedConfigKeepsEveryValueButCredentials() {
        String rendered = ConfigFactory.parseString("""
                data { input = "s3a://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/cifar", format = cifar10 }
                train { epochs = 7, lr = 0.003 }
                spark { master = "yarn", conf { "spark.hadoop.fs.s3a.secret.key" = "wJalrXUtnFEMI",
                        "spark.hadoop.fs.s3a.endpoint" = "s3.example.com", "db.password" = 1234 } }
                teachers = ["hdfs://nn/m.zip", "https://bob:hunter2@models.example/m.zip"]
                """).root().render();
        String out = Secrets.redactedConfig(rendered);
        assertFalse(out.contains("wJalrXUtnFEMI"), out);
        assertFalse(out.contains("hunter2"), out);
        assertFalse(out.contains("1234"), out);
        Config c = ConfigFactory.parseString(out);
        assertEquals("s3a://AKIAEXAMPLE:" + Secrets.REDACTED + "@bucket/cifar", c.getString("data.input"));
        assertEquals(Secrets.REDACTED, c.getString("spark.conf.\"spark.hadoop.fs.s3a.secret.key\""));
        assertEquals(Secrets.REDACTED, c.getString("spark.conf.\"db.password\""));
        assertEquals("s3.example.com", c.getString("spark.conf.\"spark.hadoop.fs.s3a.endpoint\""));
        assertEquals(List.of("hdfs://nn/m.zip", "https://bob:" + Secrets.REDACTED + "@models.example/m.zip"),
                c.getStringList("teachers"));
        assertEquals(7, c.getInt("train.epochs"));
        assertEquals("cifar10", c.getString("data.format"));
        // a config without credentials is saved as it is; redacting twice changes nothing
        String plain = ConfigFactory.parseString("train { epochs = 7 }").root().render();
        assertSame(plain, Secrets.redactedConfig(plain));
        assertEquals(out, Secrets.redactedConfig(out));
        // read back as a layer: the redacted values are dropped, the others kept
        Config back = ConfigFactory.parseString(Secrets.withoutRedacted(out));
        assertFalse(back.hasPath("spark.conf.\"db.password\""));
        assertFalse(back.hasPath("data.input"));
        assertEquals("s3.example.com", back.getString("spark.conf.\"spark.hadoop.fs.s3a.endpoint\""));
    }

    @Test
    void messagesAndReportTreesAreRedacted() {
        assertEquals("cannot read s3a://id:" + Secrets.REDACTED + "@b/x: fs.s3a.secret.key=" + Secrets.REDACTED
                        + ", fs.s3a.endpoint=s3.example.com, \"token\": \"" + Secrets.REDACTED + "\"",
                Secrets.redactText("cannot read s3a://id:pw@b/x: fs.s3a.secret.key=abc, fs.s3a.endpoint=s3.example.com,"
                        + " \"token\": \"t0k\""));
        Object tree = Secrets.redactTree(Map.of("dataset", Map.of("input", "s3a://id:pw@b/x"),
                "auth", Map.of("password", "p", "user", "bob"), "epochs", 3));
        assertEquals(Map.of("dataset", Map.of("input", "s3a://id:" + Secrets.REDACTED + "@b/x"),
                "auth", Map.of("password", Secrets.REDACTED, "user", "bob"), "epochs", 3), tree);
    }
}
