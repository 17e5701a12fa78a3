package dev.pretext.method;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * Cuts a partition's items into minibatches of exactly {@code size} (the partial tail is dropped,
 * so the trainer never splits or merges one) and builds each lazily, so a partition holds the
 * pixels of one minibatch at a time.
 */
final class FixedBatches {
    private FixedBatches() {
    }

    static <T, B> Iterator<B> of(List<T> items, int size, Function<List<T>, B> build) {
        final int count = items.size() / size;
        return new Iterator<>() {
            int next = 0;

            @Override
            public boolean hasNext() {
                return next < count;
            }

            @Override
            public B next() {
                if (next >= count) {
                    throw new NoSuchElementException();
                }
                List<T> batch = items.subList(next * size, (next + 1) * size);
                next++;
                return build.apply(batch);
            }
        };
    }

    /** The number of items in each partition of {@code rdd}, in partition order (one pass). */
    static <T> List<Long> perPartition(org.apache.spark.api.java.JavaRDD<T> rdd) {
        return rdd.mapPartitions(it -> {
            long n = 0;
            while (it.hasNext()) {
                it.next();
                n++;
            }
            return List.of(n).iterator();
        }).collect();
    }
}
