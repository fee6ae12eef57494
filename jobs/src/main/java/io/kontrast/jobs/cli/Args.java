package io.kontrast.jobs.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * A command's options, parsed by picocli: {@code --name value} or {@code --name=value}, flags,
 * {@code -D key=value} (any number), {@code @file} arguments (one argument per line of the file,
 * picocli's expansion), and defaults from the environment: an option not given on the command
 * line takes {@code KONTRAST_<NAME>} (upper case, dashes as underscores; a flag is set by
 * {@code true}) before its declared default. Each command declares its options; an unknown option,
 * a missing value or a value of the wrong type is a {@link UsageException} that names the option.
 */
public final class Args {
    /** One declared option. {@code value} is null for a flag. */
    public record Opt(String name, String value, String defaultValue, String description) {}

    private final String command;
    private final String summary;
    private final List<Opt> opts = new ArrayList<>();
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> properties = new ArrayList<>();
    private Map<String, String> environment = System.getenv();
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

    /** Reads defaults from {@code env} instead of the process environment (for tests). */
    public Args environment(Map<String, String> env) {
        this.environment = env;
        return this;
    }

    /** The environment variable that gives option {@code name} its default. */
    public static String environmentName(String name) {
        return "KONTRAST_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private CommandSpec spec() {
        CommandSpec spec = CommandSpec.create().name("kontrast " + command);
        spec.usageMessage().description(summary).abbreviateSynopsis(true).width(110)
                .footer("", "Every option also takes its default from the environment: KONTRAST_<OPTION>, upper case, "
                        + "dashes as underscores (for example KONTRAST_BOOTSTRAP). @FILE reads arguments from FILE, one a line.");
        for (Opt o : opts) {
            String description = o.description() + (o.defaultValue() != null ? " (default: " + o.defaultValue() + ")" : "");
            OptionSpec.Builder b = OptionSpec.builder("--" + o.name()).description(description);
            if (o.value() == null) {
                b.arity("0").type(boolean.class);
            } else {
                b.paramLabel("<" + o.value() + ">").arity("1").type(String.class);
            }
            spec.addOption(b.build());
        }
        spec.addOption(OptionSpec.builder("-D").paramLabel("<key=value>").type(List.class).auxiliaryTypes(String.class)
                .arity("1").description("set any kontrast.* or Flink option (see the README's configuration table)").build());
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("show this help").build());
        return spec;
    }

    public Args parse(String[] argv) {
        CommandSpec spec = spec();
        CommandLine cl = new CommandLine(spec).setOverwrittenOptionsAllowed(true).setExpandAtFiles(true);
        ParseResult r;
        try {
            r = cl.parseArgs(argv);
        } catch (CommandLine.ParameterException e) {
            throw new UsageException(e.getMessage() + " (see " + command + " --help)");
        }
        help = r.isUsageHelpRequested();
        for (Opt o : opts) {
            OptionSpec s = spec.findOption("--" + o.name());
            if (r.hasMatchedOption(s)) {
                values.put(o.name(), o.value() == null ? "true" : r.matchedOptionValue("--" + o.name(), (String) null));
                continue;
            }
            String env = environment.get(environmentName(o.name()));
            if (env == null) continue;
            if (o.value() != null) {
                values.put(o.name(), env);
            } else if (env.equalsIgnoreCase("true") || env.equals("1")) {
                values.put(o.name(), "true");
            } else if (!env.equalsIgnoreCase("false") && !env.equals("0") && !env.isEmpty()) {
                throw new UsageException("environment variable " + environmentName(o.name()) + " sets flag --" + o.name()
                        + ": true or false, got '" + env + "'");
            }
        }
        List<String> d = r.matchedOptionValue("-D", List.<String>of());
        for (String kv : d) {
            if (!kv.contains("=")) {
                throw new UsageException("option -D needs key=value, got '" + kv + "'");
            }
            properties.add(kv);
        }
        return this;
    }

    private Opt find(String name) {
        for (Opt o : opts) {
            if (o.name().equals(name)) return o;
        }
        return null;
    }

    /** Whether the command declares option {@code --name}. */
    public boolean declares(String name) {
        return find(name) != null;
    }

    public boolean help() {
        return help;
    }

    /** The help text picocli generates from the declared options. */
    public String usage() {
        return new CommandLine(spec()).getUsageMessage(CommandLine.Help.Ansi.OFF);
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
        String v = get(name).trim().toLowerCase(Locale.ROOT);
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
