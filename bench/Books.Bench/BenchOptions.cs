using System.Globalization;
using System.Reflection;

namespace Books.Bench;

internal sealed record BenchOptions(int Seconds, int Rounds, int StartupRuns, int[] Concurrency, string Output, string MongodPath)
{
    public static BenchOptions Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var standIn = typeof(BenchOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MongodStandInPath").Value!;
        return new BenchOptions(
            Seconds: int.Parse(Value("--seconds") ?? "10", CultureInfo.InvariantCulture),
            Rounds: int.Parse(Value("--rounds") ?? "3", CultureInfo.InvariantCulture),
            StartupRuns: int.Parse(Value("--startup-runs") ?? "5", CultureInfo.InvariantCulture),
            Concurrency: [1, 8, 32],
            Output: Value("--output") ?? "artifacts/bench.md",
            MongodPath: Environment.GetEnvironmentVariable("MONGOD_PATH") is { Length: > 0 } configured ? configured : Path.GetFullPath(standIn));
    }
}
