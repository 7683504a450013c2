namespace ModerationConsole.Cli;

/// <summary>The commands of the executable (PRODUCT.md, "Command line"). Exit codes: 0 done, 1 failed, 2 wrong usage.</summary>
public static class CommandLine
{
    public const string Usage =
        """
        Usage: ModerationConsole [command] [options]

          serve [--demo] [--urls URL]       run the console (the default command); --demo adds demo accounts and
                                            streams simulated traffic through the public ingest hub
          migrate                           apply pending database migrations and install the default policy
          user add EMAIL --role ROLE        create a person; the password is read from standard input
                                            (roles: moderator, senior, specialist, admin, auditor)
          user role EMAIL --role ROLE       give a person another role (audited; their sessions follow)
          user password EMAIL               set a new password, read from standard input; every session of
                                            the person ends (audited)
          user disable EMAIL | user enable EMAIL
                                            end or restore a person's access (audited)
          producer add NAME                 create a producer and print its API key, once, on the last line
          simulate --url URL --key KEY      stream demo generations to a console's ingest hub
                   [--rate N] [--count N] [--batch N] [--seed N]
                                            (--count 0, the default, streams until Ctrl+C)
          model install-default             fetch the default image model (nsfwjs' MobileNetV2) with npm, check
                                            its integrity and convert it into the models folder, once
          model import-tfjs PATH --name NAME [--folder F] [--labels a,b,...] [--categories label=category,...]
                                            convert a TF.js layers model (folder or npm .tgz) into the models folder
          score [--model NAME] FILE...      score images with an image classifier; one JSON line per file
          hash FILE...                      print each image's PDQ hash as Meta's tools do: pdqhex,quality,file
          case verify BUNDLE                check a case's evidence bundle offline: every file's hashes, each
                                            image's SHA-256 and PDQ, the audit entries' chain hashes; exit 1
                                            naming what does not match
          audit verify                      re-compute the audit log's hash chain; exit 1 naming the first
                                            entry that does not match
          bench NAME|all|list [options]     run a benchmark on a scratch database; prints each figure, its
                                            baseline measured in the same run and their ratio; exit 1 when a
                                            goal is not met

        Every command reads appsettings.json at the repository root. Without ConnectionStrings:Moderation
        (environment ConnectionStrings__Moderation) it uses the embedded PostgreSQL cluster under .data/.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["--help"] or ["-h"]) return PrintUsage(System.Console.Out, 0);
        var arguments = new CliArguments(args);
        try
        {
            var command = args.Length > 0 && !args[0].StartsWith('-') ? arguments.TakeWord() : "serve";
            return command switch
            {
                "serve" => await ServeCommand.RunAsync(arguments),
                "migrate" => await AdminCommands.MigrateAsync(arguments),
                "user" => await AdminCommands.UserAsync(arguments),
                "producer" => await AdminCommands.ProducerAsync(arguments),
                "simulate" => await SimulateCommand.RunAsync(arguments),
                "audit" => await AdminCommands.AuditAsync(arguments),
                "case" => CaseCommand.Run(arguments, System.Console.Out, System.Console.Error),
                "hash" => HashCommand.Run(arguments, System.Console.Out, System.Console.Error),
                "model" => await ModelCommand.RunAsync(arguments),
                "score" => await ScoreCommand.RunAsync(arguments, System.Console.Out),
                "bench" => await Bench.BenchCommand.RunAsync(arguments),
                "help" => PrintUsage(System.Console.Out, 0),
                _ => throw new UsageException($"unknown command '{command}'"),
            };
        }
        catch (UsageException ex)
        {
            await System.Console.Error.WriteLineAsync($"error: {ex.Message}");
            return PrintUsage(System.Console.Error, 2);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or Npgsql.NpgsqlException or InvalidDataException or NotSupportedException or IOException)
        {
            // Operational failures (bad values, a refused key, an unreachable database): the message says what to fix.
            await System.Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
    }

    private static int PrintUsage(TextWriter writer, int exitCode)
    {
        writer.WriteLine(Usage);
        return exitCode;
    }
}
