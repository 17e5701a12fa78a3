package dev.pretext.data;

import java.util.Iterator;

/** An iterator over an open file; closes itself when exhausted, and can be closed early. */
public interface CloseableIterator<T> extends Iterator<T>, AutoCloseable {
    @Override
    void close();
}
