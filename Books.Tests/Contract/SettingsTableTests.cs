using System.Text.RegularExpressions;

namespace Books.Tests.Contract;

/// <summary>
/// DEPLOYMENT.md's settings table is the operator's list of what books-api reads. Held against the code both ways:
/// every key books-api reads (its options classes, the framework keys it declares, the client integration's settings)
/// has a row, and every key a row names is read by something.
/// </summary>
public sealed partial class SettingsTableTests
{
    public static string RepositoryRoot { get; } = typeof(SettingsTableTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>Read by a library, not by books-api's code: the OpenTelemetry SDK's variables, and the AppHost's own key.</summary>
    private static readonly string[] s_readElsewhere =
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
        "BooksApi:Replicas",
    ];

    /// <summary>The keys books-api's code reads, as configuration spells them (<c>Section:Property</c>).</summary>
    public static IReadOnlyList<string> KeysInCode()
    {
        var keys = new List<string> { $"ConnectionStrings:{BooksApiSettings.DatabaseConnectionName}" };
        foreach (var type in typeof(BooksApiSettings).Assembly.GetExportedTypes())
        {
            // An options class: its section and each settable property. The identity provider's are its own (books-identity).
            if (type.GetField("SectionName")?.GetRawConstantValue() is string section && type != typeof(ProviderSettings))
            {
                keys.AddRange(type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => SettingsKey.Of(section, p.Name)));
            }

            // Declared keys (the framework's, and lists bound by hand).
            if (type != typeof(ProviderSettings))
            {
                keys.AddRange(type.GetFields(BindingFlags.Public | BindingFlags.Static)
                    .Where(f => f.IsLiteral && f.Name.EndsWith("Key", StringComparison.Ordinal))
                    .Select(f => (string)f.GetRawConstantValue()!));
            }
        }

        var shutdown = Type.GetType("Microsoft.Extensions.Hosting.GracefulShutdown, Books.ServiceDefaults", throwOnError: true)!;
        keys.Add(Microsoft.Extensions.Hosting.Extensions.SettingsFilesKey); // the service defaults'
        keys.AddRange(shutdown.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.Name.EndsWith("Key", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!));
        keys.Add(Books.AppHost.BooksDatabase.PublishContainerKey); // the AppHost's
        keys.AddRange(typeof(Aspire.MongoDB.Driver.MongoDBSettings).GetProperties()
            .Where(p => p.CanWrite && p.Name != nameof(Aspire.MongoDB.Driver.MongoDBSettings.ConnectionString)) // that is ConnectionStrings:booksdb
            .Select(p => $"Aspire:MongoDB:Driver:{p.Name}"));
        return [.. keys.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal)];
    }

    /// <summary>Each row of the table under "## Settings", and the keys its first cell names, as configuration spells them.</summary>
    public static IReadOnlyList<(string Row, string[] Keys)> Rows(string markdown)
    {
        var section = markdown[markdown.IndexOf("\n## Settings", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        var table = section.Split('\n').SkipWhile(line => !line.StartsWith("| setting", StringComparison.Ordinal)).Skip(2)
            .TakeWhile(line => line.StartsWith('|'));
        return [.. table.Select(line => (line.Trim(), Backticked().Matches(line.Split('|')[1]).Select(m => m.Groups[1].Value)
                .Where(name => !name.StartsWith("__", StringComparison.Ordinal)) // "(more with `__1`, ...)"
                .Select(Normalized).ToArray()))];
    }

    // `Books__RateLimit__WritesPerWindow`, `..__ValidAudiences__0` and `..__SigningKeys__*` (lists) as configuration keys.
    private static string Normalized(string name) =>
        ListIndex().Replace(name, "").Replace("__", ":", StringComparison.Ordinal);

    [Fact]
    public void Settings_table_matches_the_keys_read()
    {
        var rows = Rows(File.ReadAllText(Path.Combine(RepositoryRoot, "DEPLOYMENT.md")));
        var documented = rows.SelectMany(row => row.Keys).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var read = KeysInCode().Concat(s_readElsewhere).ToHashSet(StringComparer.OrdinalIgnoreCase);

        var undocumented = KeysInCode().Where(key => !documented.Contains(key)).ToList(); // read, and no row says so
        var unread = rows.Where(row => row.Keys.Length == 0 || row.Keys.Any(key => !read.Contains(key))).Select(row => row.Row).ToList(); // a row naming nothing read
        Assert.True(undocumented.Count == 0, $"read by books-api, not in DEPLOYMENT.md's settings table: {string.Join(", ", undocumented)}");
        Assert.True(unread.Count == 0, $"rows of DEPLOYMENT.md's settings table that name no key books-api reads: {string.Join(" | ", unread)}");
        Assert.True(rows.Count >= 20, $"{rows.Count} rows: the table was not found whole");
    }

    [GeneratedRegex("`([A-Za-z_][A-Za-z0-9_]*(?:__[A-Za-z0-9_*]+)*)`")]
    private static partial Regex Backticked();

    [GeneratedRegex("__(?:[0-9]+|\\*)$")]
    private static partial Regex ListIndex();
}
