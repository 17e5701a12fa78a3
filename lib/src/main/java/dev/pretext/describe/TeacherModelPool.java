package dev.pretext.describe;

import dev.pretext.UserError;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Restored teacher models kept per JVM, so that an executor reads and restores a (possibly
 * 100 MB) model once rather than once per partition. DL4J networks are not thread-safe, so a model
 * is lent to one task at a time: {@link #borrow} hands out an idle copy or restores a new one, and
 * {@link #giveBack} returns it when the task is done. At most one idle copy per core and
 * {@link #MAX_FILES} model files are kept.
 */
public final class TeacherModelPool {
    /** Distinct model files kept idle; the least recently used is dropped beyond this. */
    static final int MAX_FILES = 4;

    /**
     * A model file as the driver saw it: a file replaced while a job runs would give executors a
     * different model, so its length and modification time are part of the key and checked.
     */
    public record Key(String file, long length, long modified) implements Serializable {
        /** The key of the file as it is now. */
        public static Key of(Configuration conf, String file) {
            Path p = new Path(file);
            try {
                FileStatus st = p.getFileSystem(conf).getFileStatus(p);
                return new Key(file, st.getLen(), st.getModificationTime());
            } catch (FileNotFoundException e) {
                throw new UserError("teacher model " + file + " does not exist", e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read teacher model " + file, e);
            }
        }
    }

    private static final Map<Key, ArrayDeque<TeacherModel>> IDLE = new LinkedHashMap<>(8, 0.75f, true);

    private TeacherModelPool() {
    }

    /** An idle model of this file, or a freshly restored one; give it back with {@link #giveBack}. */
    public static TeacherModel borrow(Key key, Configuration conf) {
        TeacherModel m = takeIdle(key);
        if (m != null) {
            return m;
        }
        Key now = Key.of(conf, key.file());
        if (now.length() != key.length() || now.modified() != key.modified()) {
            throw new UserError("teacher model " + key.file() + " changed while describing (size " + key.length()
                    + " -> " + now.length() + ", modified " + key.modified() + " -> " + now.modified()
                    + "); run describe again");
        }
        return TeacherModel.read(conf, key.file());
    }

    private static synchronized TeacherModel takeIdle(Key key) {
        ArrayDeque<TeacherModel> q = IDLE.get(key);
        return q == null ? null : q.pollFirst();
    }

    /** Returns a borrowed model for reuse by a later task of this JVM. */
    public static synchronized void giveBack(Key key, TeacherModel model) {
        ArrayDeque<TeacherModel> q = IDLE.computeIfAbsent(key, k -> new ArrayDeque<>());
        if (q.size() < Runtime.getRuntime().availableProcessors()) {
            q.addFirst(model);
        }
        Iterator<Key> it = IDLE.keySet().iterator();
        while (IDLE.size() > MAX_FILES && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    /** Idle models held for this file (for tests). */
    static synchronized int idle(Key key) {
        ArrayDeque<TeacherModel> q = IDLE.get(key);
        return q == null ? 0 : q.size();
    }

    /** Drops every idle model (frees their memory in a long-lived driver). */
    public static synchronized void clear() {
        IDLE.clear();
    }
}
