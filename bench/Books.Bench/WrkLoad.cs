using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Books.Bench;

/// <summary>
/// HTTP load through wrk when it is installed (Debian package <c>wrk</c>): a C load generator costs far
/// less CPU per request than .NET's HttpClient, which matters when the generator shares the machine's
/// cores with the server it measures.
/// </summary>
internal static partial class WrkLoad
{
    public static bool IsAvailable { get; } = Environment.GetEnvironmentVariable("PATH")?.Split(':')
        .Any(directory => File.Exists(Path.Combine(directory, "wrk"))) == true;

    /// <summary>Runs wrk against one path, or against a random one of <paramref name="paths"/> per request.</summary>
    public static async Task<(long Requests, double Seconds, double P50, double P99)> RunAsync(
        Uri baseAddress, IReadOnlyList<string> paths, int connections, TimeSpan duration)
    {
        var script = Path.GetTempFileName();
        var quoted = string.Join(",", paths.Select(p => $"\"{p}\""));
        // Requests are formatted once, in init: formatting one per request cost wrk about a quarter more CPU.
        await File.WriteAllTextAsync(script,
            $$"""
            local paths = {{{quoted}}}
            local requests = {}
            init = function(args) for i, path in ipairs(paths) do requests[i] = wrk.format("GET", path) end end
            request = function() return requests[math.random(#requests)] end

            """);
        try
        {
            var startInfo = new ProcessStartInfo("wrk",
                ["-t1", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--latency", "-s", script, baseAddress.ToString()])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(startInfo)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(duration + TimeSpan.FromSeconds(30));
            if (process.ExitCode != 0 || Errors().Match(output) is { Success: true })
            {
                throw new InvalidOperationException($"wrk reported errors:\n{output}");
            }

            var requests = long.Parse(Requests().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
            var seconds = double.Parse(Requests().Match(output).Groups[2].Value, CultureInfo.InvariantCulture);
            return (requests, seconds, Latency(output, "50%"), Latency(output, "99%"));
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static double Latency(string output, string percentile)
    {
        var match = Regex.Match(output, $@"^\s*{Regex.Escape(percentile)}\s+([0-9.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"(\d+) requests in ([0-9.]+)s")]
    private static partial Regex Requests();

    [GeneratedRegex(@"Non-2xx or 3xx responses|Socket errors")]
    private static partial Regex Errors();
}
