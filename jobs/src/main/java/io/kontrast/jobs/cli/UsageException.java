package io.kontrast.jobs.cli;

/** Bad command-line arguments: the CLI prints the message and exits with status 2. */
public class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
