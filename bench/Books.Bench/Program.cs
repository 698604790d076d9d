// Books.Api against the raw MongoDB driver, side by side in one run. See BENCHMARKS.md.
//
//   dotnet run -c Release --project bench/Books.Bench [-- --seconds 10 --rounds 3 --startup-runs 5 --output artifacts/bench.md]
//       [--concurrency 1,8,32] [--api-env NAME=VALUE ...] [--startup-only]
//
// MongoDB runs the way the AppHost runs it: MONGOD_PATH names a mongod executable (default: the test
// stand-in, which this bench only reads from once the sample set is seeded).
using Books.Bench;

var options = BenchOptions.Parse(args);

// The stand-in's write-serializing relay matters only to concurrent writes; the bench reads, so it
// talks to the stand-in directly (mongod, started by the AppHost, inherits this environment).
Environment.SetEnvironmentVariable("MONGOD_STANDIN_DIRECT", "1");
var report = new List<string>();

var startup = await StartupBenchmark.MeasureAsync(options);
report.Add(startup);
Console.WriteLine(startup);
if (args.Contains("--startup-only"))
{
    return;
}

await using (var target = await BenchTarget.StartAsync(options))
{
    report.Add(await LoadBenchmark.RunAsync(target, options));
}

var text = string.Join(Environment.NewLine + Environment.NewLine, report);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Output))!);
await File.WriteAllTextAsync(options.Output, text + Environment.NewLine);
Console.WriteLine(text);
Console.WriteLine($"Written to {options.Output}");
