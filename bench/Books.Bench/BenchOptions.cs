using System.Globalization;
using System.Reflection;

namespace Books.Bench;

/// <param name="ApiEnvironment">
/// Extra environment for books-api (<c>--api-env NAME=VALUE</c>, repeatable), to compare runtime settings
/// in otherwise identical runs.
/// </param>
internal sealed record BenchOptions(
    int Seconds, int Rounds, int StartupRuns, int[] Concurrency, string Output, string MongodPath, IReadOnlyList<(string Name, string Value)> ApiEnvironment)
{
    public static BenchOptions Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var standIn = typeof(BenchOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MongodStandInPath").Value!;
        return new BenchOptions(
            Seconds: int.Parse(Value("--seconds") ?? "10", CultureInfo.InvariantCulture),
            Rounds: int.Parse(Value("--rounds") ?? "3", CultureInfo.InvariantCulture),
            StartupRuns: int.Parse(Value("--startup-runs") ?? "5", CultureInfo.InvariantCulture),
            Concurrency: Value("--concurrency") is { } list
                ? [.. list.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))]
                : [1, 8, 32],
            Output: Value("--output") ?? "artifacts/bench.md",
            MongodPath: Environment.GetEnvironmentVariable("MONGOD_PATH") is { Length: > 0 } configured ? configured : Path.GetFullPath(standIn),
            ApiEnvironment: [.. args.Select((arg, i) => (arg, i))
                .Where(a => a.arg == "--api-env" && a.i + 1 < args.Length)
                .Select(a => args[a.i + 1].Split('=', 2))
                .Select(pair => pair.Length == 2 ? (pair[0], pair[1]) : throw new ArgumentException($"--api-env wants NAME=VALUE, got '{pair[0]}'."))]);
    }
}
