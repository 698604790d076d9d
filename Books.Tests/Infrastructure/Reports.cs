namespace Books.Tests.Infrastructure;

/// <summary>
/// Figures a test measures (tallies, latencies) go to artifacts/reports/{name}.txt, which .ci/run prints
/// after the tests, and to the test's diagnostic output.
/// </summary>
public static class Reports
{
    private static readonly string s_directory = typeof(Reports).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ReportsDirectory").Value!;

    public static void Write(string name, string text)
    {
        Directory.CreateDirectory(s_directory);
        File.WriteAllText(Path.Combine(s_directory, $"{name}.txt"), text);
        TestContext.Current.SendDiagnosticMessage(text);
    }
}
