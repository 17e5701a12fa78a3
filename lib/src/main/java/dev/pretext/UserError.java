package dev.pretext;

/**
 * An error caused by the user's input (a file, a record, a config key), with a message that names
 * the input at fault and what would be valid. The command line prints the message alone (no stack
 * trace) and exits with status 2.
 */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
