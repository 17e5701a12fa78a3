package dev.pretext.data;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.pretext.UserError;

/**
 * Spark wraps an executor's exception in layers of SparkException ("Job aborted due to stage
 * failure: ..."). A user error thrown by a reader on an executor must reach the user as its own
 * message, so we dig it out.
 */
public final class SparkErrors {
    private static final Pattern USER_ERROR = Pattern.compile(Pattern.quote(UserError.class.getName()) + ": ([^\\n]*)");

    private SparkErrors() {
    }

    /**
     * The {@link UserError} inside {@code e} (as a new UserError with the same message, caused by
     * {@code e}), else {@code e} itself, or wrapped when it is checked: Spark throws its
     * SparkException (a checked exception) from methods that do not declare it.
     */
    public static RuntimeException unwrap(Exception e) {
        if (e instanceof UserError u) {
            return u;
        }
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof UserError u) {
                return new UserError(u.getMessage(), e);
            }
        }
        // the executor's class may not have been deserialisable on the driver: then only the text is left
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            Matcher m = USER_ERROR.matcher(String.valueOf(t.getMessage()));
            if (m.find()) {
                return new UserError(m.group(1), e);
            }
        }
        return e instanceof RuntimeException r ? r : new RuntimeException(e.getMessage(), e);
    }
}
