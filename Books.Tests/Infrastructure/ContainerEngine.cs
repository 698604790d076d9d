using System.Text;

namespace Books.Tests.Infrastructure;

/// <summary>
/// The container engine the container-mode tests run MongoDB in (<c>docker</c>, or the runtime named by
/// <c>ASPIRE_CONTAINER_RUNTIME</c>, as DCP picks it), and the stand-in image built for it.
/// </summary>
public static class ContainerEngine
{
    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(5); // a first build installs the npm packages
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(60);
    private static readonly Lazy<Task<string?>> s_unavailable = new(ProbeAsync);
    private static readonly Lazy<Task<string>> s_standInImage = new(BuildStandInImageAsync);

    public static string Runtime { get; } = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") is { Length: > 0 } runtime ? runtime : "docker";

    /// <summary>Why no engine can run containers here, or <see langword="null"/> when one answers.</summary>
    public static Task<string?> UnavailableReasonAsync() => s_unavailable.Value;

    /// <summary>
    /// Skips the calling test when no engine answers, saying how to enable it; with <c>CI=true</c> fails it
    /// instead, so a CI run cannot go green without the container tests.
    /// </summary>
    public static void Require(string? unavailableReason)
    {
        if (unavailableReason is not null)
        {
            SkipOrFail($"Container-mode test not run: {HowToStart(unavailableReason)}");
        }
    }

    /// <summary>What <see cref="UnavailableReasonAsync"/> said, and how to get an engine that answers.</summary>
    public static string HowToStart(string unavailableReason) =>
        $"'{Runtime} info' {unavailableReason}. Start Docker or Podman (on Debian, as root: apt-get install docker.io, then " +
        "start dockerd) and run the tests again; .ci/run does this itself.";

    /// <summary>Skips the calling test with <paramref name="message"/>; fails it instead under <c>CI=true</c>.</summary>
    public static void SkipOrFail(string message)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"{message} CI=true, where container tests may not be skipped.");
        }

        Assert.Skip(message);
    }

    /// <summary>The commands of <paramref name="commands"/> that neither <c>PATH</c> nor an <c>sbin</c> directory holds
    /// (debootstrap is in /usr/sbin, outside a user's PATH on Debian).</summary>
    public static IReadOnlyList<string> MissingCommands(params string[] commands)
    {
        string[] path = [.. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries), "/usr/sbin", "/sbin"];
        return [.. commands.Where(command => !path.Any(directory => File.Exists(Path.Combine(directory, command))))];
    }

    /// <summary>The stand-in image (<c>books-mongod-standin:{hash}</c>), built once per test run if its inputs changed.</summary>
    public static Task<string> StandInImageAsync() => s_standInImage.Value;

    /// <summary>Runs the engine's CLI (bounded); throws with its output when it fails.</summary>
    public static async Task<string> RunAsync(params string[] arguments) =>
        Encoding.UTF8.GetString(await RunBinaryAsync(arguments));

    /// <summary>Like <see cref="RunAsync"/>, for a command whose output is not text (an archive).</summary>
    public static async Task<byte[]> RunBinaryAsync(params string[] arguments)
    {
        var (exitCode, output, error) = await RunProcessAsync(Runtime, arguments, s_commandTimeout);
        return exitCode == 0
            ? output
            : throw new InvalidOperationException($"'{Runtime} {string.Join(' ', arguments)}' exited with {exitCode}: {error}");
    }

    /// <summary>Like <see cref="RunAsync"/> but returns the exit code, output and error as they are.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> TryRunAsync(params string[] arguments)
    {
        var (exitCode, output, error) = await RunProcessAsync(Runtime, arguments, s_commandTimeout);
        return (exitCode, Encoding.UTF8.GetString(output), error);
    }

    private static async Task<string?> ProbeAsync()
    {
        try
        {
            var (exitCode, _, error) = await RunProcessAsync(Runtime, ["info"], s_probeTimeout);
            return exitCode == 0 ? null : $"exited with {exitCode} ({error.Trim().Split('\n')[^1]})";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "could not be run (not installed)";
        }
        catch (TimeoutException)
        {
            return $"gave no answer within {s_probeTimeout.TotalSeconds:0} s";
        }
    }

    private static async Task<string> BuildStandInImageAsync()
    {
        var script = typeof(ContainerEngine).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "StandInImageBuildScript").Value!;
        var (exitCode, output, error) = await RunProcessAsync(script, [], s_buildTimeout);
        return exitCode == 0
            ? Encoding.UTF8.GetString(output).Trim().Split('\n')[^1]
            : throw new InvalidOperationException($"Building the stand-in image failed ({exitCode}):\n{error}");
    }

    private static async Task<(int ExitCode, byte[] Output, string Error)> RunProcessAsync(string fileName, string[] arguments, TimeSpan timeout)
    {
        var result = await ProcessRunner.RunAsync(fileName, arguments, timeout, environment: new Dictionary<string, string> { ["CONTAINER_RUNTIME"] = Runtime });
        return (result.ExitCode, result.Output, result.Error);
    }
}
