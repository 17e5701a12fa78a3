package dev.pretext.data.imagefolder;

import java.io.Serializable;

/**
 * Where an input file sits in an image-folder layout.
 *
 * @param split     the split it belongs to ({@code train}, {@code val}, ...)
 * @param className its class folder, or null in a flat folder (labels then come from a labels CSV)
 * @param relative  its path relative to the dataset root (or tar root), used in the row id
 */
public record Placement(String split, String className, String relative) implements Serializable {
}
