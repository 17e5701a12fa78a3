package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import dev.pretext.nn.Encoder;
import dev.pretext.nn.Backbones;
import dev.pretext.train.Checkpoints;
import dev.pretext.train.TrainerState;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TeacherModelTest {
    private static final int SIZE = 16;
    private final Configuration conf = new Configuration();

    @TempDir
    Path tmp;

    private static List<ImageRecord> images(int n) {
        List<ImageRecord> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(DescribeImages.random("img" + i, SIZE, SIZE, 40 + i));
        }
        return out;
    }

    private static void assertClose(INDArray expected, float[][] actual, double tol) {
        float[][] e = expected.reshape('c', expected.size(0), expected.length() / expected.size(0))
                .castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).toFloatMatrix();
        assertEquals(e.length, actual.length);
        for (int i = 0; i < e.length; i++) {
            assertArrayEquals(e[i], actual[i], (float) tol, "row " + i);
        }
    }

    @Test
    void graphZipIsDetectedAndEmbedsAtTheEmbeddingLayer() {
        ComputationGraph g = TeacherNets.conv4(SIZE);
        File zip = TeacherNets.save(g, tmp.resolve("conv4.zip").toFile());
        TeacherModel m = TeacherModel.read(conf, zip.getPath());
        assertEquals(TeacherModel.GRAPH, m.kind());
        assertEquals(Backbones.EMBEDDING, m.defaultLayer());
        assertFalse(m.takesFlatInput());

        List<ImageRecord> imgs = images(5);
        ResolvedTeacher t = new Teacher(zip.getPath(), null, null, TeacherNets.normalization(), 2)
                .resolve(conf, SIZE, SIZE);
        assertEquals("teacher_conv4", t.column());
        assertEquals(32, t.dimension());
        assertEquals(Backbones.EMBEDDING, t.layer());
        // batch size 2 over 5 images: three forward passes, same numbers as one pass of all five
        assertClose(Encoder.embed(g, Backbones.EMBEDDING, TeacherNets.nchw(imgs), 64), t.embed(m, imgs), 1e-5);
    }

    @Test
    void namedGraphLayerIsFlattenedPerImage() {
        ComputationGraph g = TeacherNets.conv4(SIZE);
        File zip = TeacherNets.save(g, tmp.resolve("g.zip").toFile());
        ResolvedTeacher t = Teacher.parse(zip.getPath() + ":c4_relu=pre pool", TeacherNets.normalization(), 64)
                .resolve(conf, SIZE, SIZE);
        assertEquals("teacher_pre_pool", t.column());
        // 32 channels at 2x2 after three 2x2 poolings of 16x16
        assertEquals(32 * 2 * 2, t.dimension());
        List<ImageRecord> imgs = images(3);
        TeacherModel m = TeacherModel.read(conf, zip.getPath());
        assertClose(Encoder.embed(g, "c4_relu", TeacherNets.nchw(imgs), 64), t.embed(m, imgs), 1e-5);
    }

    @Test
    void graphWithoutEmbeddingDefaultsToWhatFeedsItsOutput() {
        ComputationGraph g = new ComputationGraph(new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder()
                .seed(1).graphBuilder().addInputs("in")
                .addLayer("conv", new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(3).build(), "in")
                .addLayer("pool", new org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer.Builder().build(), "conv")
                .addLayer("out", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder().nOut(2)
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").setInputTypes(org.deeplearning4j.nn.conf.inputs.InputType.convolutional(SIZE, SIZE, 3))
                .build());
        g.init();
        assertEquals("pool", TeacherModel.of(g).defaultLayer());
    }

    @Test
    void convLayerStackIsDetectedAndDefaultsToItsPenultimateLayer() {
        MultiLayerNetwork net = TeacherNets.convStack(SIZE);
        File zip = TeacherNets.save(net, tmp.resolve("stack.zip").toFile());
        TeacherModel m = TeacherModel.read(conf, zip.getPath());
        assertEquals(TeacherModel.LAYERS, m.kind());
        assertFalse(m.takesFlatInput());
        String dense = m.layerNames().get(2);
        assertEquals(dense, m.defaultLayer());
        assertEquals(dense, m.resolveLayer("2"));

        ResolvedTeacher t = new Teacher(zip.getPath(), null, "cnn", TeacherNets.normalization(), 2)
                .resolve(conf, SIZE, SIZE);
        assertEquals(6, t.dimension());
        List<ImageRecord> imgs = images(3);
        // activations list: the input, then each layer's output
        INDArray expected = net.feedForward(TeacherNets.nchw(imgs), false).get(3);
        assertClose(expected, t.embed(m, imgs), 1e-5);
    }

    @Test
    void denseStackGetsFlattenedImages() {
        MultiLayerNetwork net = TeacherNets.denseStack(SIZE);
        File zip = TeacherNets.save(net, tmp.resolve("dense.zip").toFile());
        TeacherModel m = TeacherModel.read(conf, zip.getPath());
        assertTrue(m.takesFlatInput());
        ResolvedTeacher t = new Teacher(zip.getPath(), "1", null, TeacherNets.normalization(), 64)
                .resolve(conf, SIZE, SIZE);
        assertEquals(2, t.dimension());
        List<ImageRecord> imgs = images(2);
        INDArray flat = TeacherNets.nchw(imgs).reshape('c', 2, 3 * SIZE * SIZE);
        assertClose(net.output(flat, false), t.embed(m, imgs), 1e-5);

        UserError wrongSize = assertThrows(UserError.class,
                () -> new Teacher(zip.getPath(), null, null, TeacherNets.normalization(), 64).resolve(conf, 8, 8));
        assertTrue(wrongSize.getMessage().contains("768") && wrongSize.getMessage().contains("192"),
                wrongSize.getMessage());
    }

    @Test
    void runAndCheckpointDirectoriesLeadToTheLatestModel() throws IOException {
        ComputationGraph g = TeacherNets.conv4(SIZE);
        Path run = tmp.resolve("myrun");
        for (int epoch = 1; epoch <= 2; epoch++) {
            TrainerState s = new TrainerState(TrainerState.FORMAT_VERSION, epoch, 0, 1, epoch, epoch, 1.0, 1, null,
                    "paramavg", null);
            Checkpoints.write(run, g, s, 3);
        }
        String latest = Teacher.locateModel(conf, run.toString());
        assertTrue(latest.endsWith("checkpoints/epoch-0002/model.zip"), latest);
        String ckpt = Teacher.locateModel(conf, run.resolve("checkpoints/epoch-0001").toString());
        assertTrue(ckpt.endsWith("checkpoints/epoch-0001/model.zip"), ckpt);
        assertEquals("teacher_myrun", new Teacher(run.toString(), null, null, TeacherNets.normalization(), 8).column());

        Path empty = Files.createDirectories(tmp.resolve("norun"));
        UserError e = assertThrows(UserError.class, () -> Teacher.locateModel(conf, empty.toString()));
        assertTrue(e.getMessage().contains("norun"), e.getMessage());
    }

    @Test
    void badModelsAreUserErrorsNamingTheFile() throws IOException {
        String missing = tmp.resolve("nope.zip").toString();
        UserError e1 = assertThrows(UserError.class, () -> Teacher.locateModel(conf, missing));
        assertTrue(e1.getMessage().contains("nope.zip"), e1.getMessage());

        Path text = Files.writeString(tmp.resolve("notes.zip"), "not a zip");
        UserError e2 = assertThrows(UserError.class, () -> TeacherModel.read(conf, text.toString()));
        assertTrue(e2.getMessage().contains("notes.zip"), e2.getMessage());

        File zip = TeacherNets.save(TeacherNets.conv4(SIZE), tmp.resolve("c.zip").toFile());
        UserError e3 = assertThrows(UserError.class,
                () -> new Teacher(zip.getPath(), "fc7", null, TeacherNets.normalization(), 8).resolve(conf, SIZE, SIZE));
        assertTrue(e3.getMessage().contains("'fc7'") && e3.getMessage().contains(Backbones.EMBEDDING), e3.getMessage());
    }

    @Test
    void poolLendsOneModelPerBorrowerAndRefusesAChangedFile() throws IOException {
        TeacherModelPool.clear();
        File zip = TeacherNets.save(TeacherNets.convStack(SIZE), tmp.resolve("p.zip").toFile());
        TeacherModelPool.Key key = TeacherModelPool.Key.of(conf, zip.getPath());
        TeacherModel a = TeacherModelPool.borrow(key, conf);
        TeacherModel b = TeacherModelPool.borrow(key, conf);
        assertTrue(a != b, "two borrowers at once get two models");
        TeacherModelPool.giveBack(key, a);
        assertEquals(1, TeacherModelPool.idle(key));
        assertSame(a, TeacherModelPool.borrow(key, conf));
        assertEquals(0, TeacherModelPool.idle(key));

        TeacherNets.save(TeacherNets.denseStack(SIZE), zip);
        assertTrue(zip.setLastModified(key.modified() + 5000));
        UserError e = assertThrows(UserError.class, () -> TeacherModelPool.borrow(key, conf));
        assertTrue(e.getMessage().contains("changed"), e.getMessage());
        TeacherModelPool.clear();
    }
}
