package dev.pretext.method;

/**
 * One key a method reads under {@code method.<name>.*}: its name and what it means. Its default
 * lives in {@code pretext/methods/<name>.conf} (one place; {@code bin/pretext methods} shows both).
 */
public record MethodKey(String name, String description) {
}
