package dev.pretext.nn;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

/**
 * Copies a DL4J layer configuration into an instance of a subclass that only changes the layer
 * implementation ({@link FusedBatchNorm}, {@link LeanConvolution}): DL4J's builders construct only
 * their own class, so the subclass takes every instance field the builder set.
 */
final class LayerConfCopy {
    private LayerConfCopy() {
    }

    /** Every instance field declared by {@code top} and its superclasses, from {@code from} to {@code to}. */
    static <T> T copy(Class<? super T> top, Object from, T to) {
        for (Class<?> c = top; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field fd : c.getDeclaredFields()) {
                if (Modifier.isStatic(fd.getModifiers())) {
                    continue;
                }
                try {
                    fd.setAccessible(true);
                    fd.set(to, fd.get(from));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("cannot copy " + fd + " of DL4J's " + top.getSimpleName(), e);
                }
            }
        }
        return to;
    }
}
