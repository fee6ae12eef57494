package io.kontrast.jobs.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small parser for {@code --name value} and {@code --flag} arguments. Each command declares its
 * options; an unknown option, a missing value or a value of the wrong type is a {@link
 * UsageException} that names the option.
 */
public final class Args {
    /** One declared option. {@code value} is null for a flag. */
    public record Opt(String name, String value, String defaultValue, String description) {}

    private final String command;
    private final String summary;
    private final List<Opt> opts = new ArrayList<>();
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> properties = new ArrayList<>();
    private boolean help;

    public Args(String command, String summary) {
        this.command = command;
        this.summary = summary;
    }

    public Args opt(String name, String valueName, String defaultValue, String description) {
        opts.add(new Opt(name, valueName, defaultValue, description));
        return this;
    }

    public Args flag(String name, String description) {
        opts.add(new Opt(name, null, null, description));
        return this;
    }

    public Args parse(String[] argv) {
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.equals("--help") || a.equals("-h")) {
                help = true;
                continue;
            }
            if (a.equals("-D") || a.startsWith("-D")) {
                String kv = a.equals("-D") ? (i + 1 < argv.length ? argv[++i] : "") : a.substring(2);
                if (!kv.contains("=")) {
                    throw new UsageException("option -D needs key=value, got '" + kv + "'");
                }
                properties.add(kv);
                continue;
            }
            if (!a.startsWith("--")) {
                throw new UsageException("unexpected argument '" + a + "' (see " + command + " --help)");
            }
            String name = a.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Opt o = find(name);
            if (o == null) {
                throw new UsageException("unknown option --" + name + " (see " + command + " --help)");
            }
            if (o.value() == null) {
                values.put(name, "true");
            } else if (inline != null) {
                values.put(name, inline);
            } else if (i + 1 < argv.length) {
                values.put(name, argv[++i]);
            } else {
                throw new UsageException("option --" + name + " needs a value <" + o.value() + ">");
            }
        }
        return this;
    }

    private Opt find(String name) {
        for (Opt o : opts) {
            if (o.name().equals(name)) return o;
        }
        return null;
    }

    public boolean help() {
        return help;
    }

    public String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage: kontrast ").append(command).append(" [options]\n\n").append(summary).append("\n\nOptions:\n");
        for (Opt o : opts) {
            String left = "  --" + o.name() + (o.value() == null ? "" : " <" + o.value() + ">");
            sb.append(String.format("%-34s %s", left, o.description()));
            if (o.defaultValue() != null) sb.append(" (default: ").append(o.defaultValue()).append(")");
            sb.append('\n');
        }
        sb.append(String.format("%-34s %s%n", "  -D <key=value>", "set any kontrast.* or Flink option (see README)"));
        sb.append(String.format("%-34s %s%n", "  --help", "show this help"));
        return sb.toString();
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public List<String> properties() {
        return properties;
    }

    public String get(String name) {
        String v = values.get(name);
        if (v != null) return v;
        Opt o = find(name);
        if (o == null) throw new IllegalArgumentException("undeclared option " + name);
        return o.defaultValue();
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    public long getLong(String name, long min) {
        String v = get(name);
        try {
            long x = Long.parseLong(v.replace("_", ""));
            if (x < min) throw new UsageException("option --" + name + " must be >= " + min + ", got " + v);
            return x;
        } catch (NumberFormatException e) {
            throw new UsageException("option --" + name + " needs a whole number, got '" + v + "'");
        }
    }

    public int getInt(String name, int min, int max) {
        long x = getLong(name, min);
        if (x > max) throw new UsageException("option --" + name + " must be <= " + max + ", got " + x);
        return (int) x;
    }

    public double getDouble(String name, double min) {
        String v = get(name);
        try {
            double x = Double.parseDouble(v);
            if (!(x >= min) || Double.isInfinite(x)) {
                throw new UsageException("option --" + name + " must be a number >= " + min + ", got " + v);
            }
            return x;
        } catch (NumberFormatException e) {
            throw new UsageException("option --" + name + " needs a number, got '" + v + "'");
        }
    }

    public Duration getDuration(String name) {
        String v = get(name).trim().toLowerCase();
        try {
            long n;
            if (v.endsWith("ms")) return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            if (v.endsWith("s")) n = Long.parseLong(v.substring(0, v.length() - 1));
            else if (v.endsWith("m")) n = Long.parseLong(v.substring(0, v.length() - 1)) * 60;
            else if (v.endsWith("h")) n = Long.parseLong(v.substring(0, v.length() - 1)) * 3600;
            else n = Long.parseLong(v);
            if (n < 0) throw new NumberFormatException();
            return Duration.ofSeconds(n);
        } catch (NumberFormatException e) {
            throw new UsageException("option --" + name + " needs a duration such as 90s, 5m or 1h, got '" + get(name) + "'");
        }
    }

    public String choice(String name, String... allowed) {
        String v = get(name);
        for (String a : allowed) if (a.equals(v)) return v;
        throw new UsageException("option --" + name + " must be one of " + String.join("|", allowed) + ", got '" + v + "'");
    }

    public Path path(String name) {
        String v = get(name);
        return v == null ? null : Path.of(v);
    }
}
