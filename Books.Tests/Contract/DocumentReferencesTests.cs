using System.Text.RegularExpressions;

namespace Books.Tests.Contract;

/// <summary>
/// What the repository's Markdown documents point at exists: every test class they name (<c>RollingUpgradeTests</c>,
/// <c>ServerAnswersTests.cs</c>), every test method (<c>BookIndexesTests.Refused_commit_quorum_*</c>, or a backticked
/// <c>Numbers_of_any_type_compare_by_value</c>), every relative link and the heading it names, every backticked path
/// of the repository, and every settings class in the guide's list. A renamed test, a moved file or a moved section
/// fails here rather than misleading the reader who follows it.
/// </summary>
public sealed partial class DocumentReferencesTests
{
    private static readonly string[] s_notDocuments = ["node_modules", "bin", "obj", "artifacts", ".git"];

    /// <summary>The Markdown files of the repository (not those of installed packages or build output).</summary>
    public static IEnumerable<string> Documents(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*.md"))
        {
            yield return file;
        }

        foreach (var child in Directory.EnumerateDirectories(directory).Where(child => !s_notDocuments.Contains(Path.GetFileName(child))))
        {
            foreach (var file in Documents(child))
            {
                yield return file;
            }
        }
    }

    /// <summary>Test classes named <c>…Tests</c> in this assembly, each with its public methods.</summary>
    private static readonly Dictionary<string, string[]> s_testClasses = typeof(DocumentReferencesTests).Assembly.GetTypes()
        .Where(type => type.Name.EndsWith("Tests", StringComparison.Ordinal) && !type.IsNested)
        .GroupBy(type => type.Name)
        .ToDictionary(group => group.Key, group => group.SelectMany(type => type.GetMethods().Select(method => method.Name)).ToArray());

    /// <summary>Each reference to a test in <paramref name="markdown"/> that names no test of this assembly.</summary>
    public static IEnumerable<string> UnknownTests(string markdown)
    {
        foreach (Match match in TestReference().Matches(markdown))
        {
            var (type, method, prefix) = (match.Groups["type"].Value, match.Groups["method"].Value, match.Groups["prefix"].Success);
            if (!s_testClasses.TryGetValue(type, out var methods))
            {
                yield return match.Value;
            }
            else if (method.Length > 0 && !methods.Any(name => prefix ? name.StartsWith(method, StringComparison.Ordinal) : name == method))
            {
                yield return match.Value;
            }
        }

        var allMethods = s_testClasses.Values.SelectMany(methods => methods).ToHashSet();
        foreach (Match match in BacktickedTestMethod().Matches(markdown))
        {
            var (method, prefix) = (match.Groups["method"].Value, match.Groups["prefix"].Success);
            if (!allMethods.Any(name => prefix ? name.StartsWith(method, StringComparison.Ordinal) : name == method))
            {
                yield return match.Value;
            }
        }
    }

    /// <summary>Each relative link of <paramref name="markdown"/> (in <paramref name="document"/>) whose file, or heading
    /// in that file, does not exist. Headings become anchors as GitHub makes them: lower case, punctuation dropped,
    /// spaces to hyphens.</summary>
    public static IEnumerable<string> BrokenLinks(string document, string markdown)
    {
        foreach (Match match in RelativeLink().Matches(markdown))
        {
            var (path, anchor) = (match.Groups["path"].Value, match.Groups["anchor"].Value);
            var target = path.Length == 0 ? document : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(document)!, path));
            if (!File.Exists(target) && !Directory.Exists(target))
            {
                yield return match.Value;
            }
            else if (anchor.Length > 0 && target.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(target)).Contains(anchor))
            {
                yield return match.Value;
            }
        }
    }

    private static HashSet<string> Anchors(string markdown) =>
        [.. Heading().Matches(markdown).Select(m => NotInAnchor().Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-'))];

    public static TheoryData<string> DocumentNames() =>
        [.. Documents(SettingsTableTests.RepositoryRoot).Select(file => Path.GetRelativePath(SettingsTableTests.RepositoryRoot, file)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(DocumentNames))]
    public void Every_named_test_exists(string document)
    {
        var markdown = File.ReadAllText(Path.Combine(SettingsTableTests.RepositoryRoot, document));
        Assert.Empty(UnknownTests(markdown));
    }

    [Theory]
    [MemberData(nameof(DocumentNames))]
    public void Every_relative_link_resolves(string document)
    {
        var path = Path.Combine(SettingsTableTests.RepositoryRoot, document);
        Assert.Empty(BrokenLinks(path, File.ReadAllText(path)));
    }

    [Theory]
    [MemberData(nameof(DocumentNames))]
    public void Every_named_file_exists(string document)
    {
        var markdown = File.ReadAllText(Path.Combine(SettingsTableTests.RepositoryRoot, document));
        Assert.Empty(MissingFiles(markdown, SettingsTableTests.RepositoryRoot));
    }

    /// <summary>Each backticked path from the repository's root (<c>Books.Api/...</c>, <c>tools/...</c>) that names nothing
    /// there. Not checked: a path with a placeholder (<c>&lt;hash&gt;</c>, <c>*</c>), the operator's own <c>.env</c>, and
    /// what a documented command writes (a path the root <c>.gitignore</c> names).</summary>
    public static IEnumerable<string> MissingFiles(string markdown, string root)
    {
        var written = File.ReadAllLines(Path.Combine(root, ".gitignore")).ToHashSet(StringComparer.Ordinal);
        return RepositoryPath().Matches(markdown).Select(m => m.Groups["path"].Value)
            .Where(path => Path.GetFileName(path) != ".env" && !written.Contains(path))
            .Where(path => !File.Exists(Path.Combine(root, path)) && !Directory.Exists(Path.Combine(root, path)));
    }

    [Theory]
    [InlineData("`Books.Api/Limits/SharedWriteRateLimit.cs`", 0)]
    [InlineData("`Books.Api/Security/SharedWriteRateLimit.cs`", 1)]
    [InlineData("`tools/container-images/build-apps` and `deploy/.env`", 0)]
    [InlineData("`Books.AppHost/aspire-manifest.json`", 0)]
    [InlineData("`books-local/runtime-deps:<hash>` and `tools/mongo-stand-in/<x>`", 0)]
    public void A_path_to_nothing_is_reported(string markdown, int missing) =>
        Assert.Equal(missing, MissingFiles(markdown, SettingsTableTests.RepositoryRoot).Count());

    [Fact]
    public void Every_settings_class_is_in_the_guide()
    {
        var guide = File.ReadAllText(Path.Combine(SettingsTableTests.RepositoryRoot, "docs", "DEVELOPMENT.md"));
        var row = guide.Split('\n').Single(line => line.StartsWith("| `Books.Settings` |", StringComparison.Ordinal));
        var classes = typeof(RateLimitSettings).Assembly.GetExportedTypes().Where(type => type.Name.EndsWith("Settings", StringComparison.Ordinal));
        Assert.All(classes, type => Assert.Contains($"`{type.Name}`", row, StringComparison.Ordinal));
    }

    // The checks themselves: a name or link that is wrong is reported, one that is right is not.
    [Theory]
    [InlineData("`RollingUpgradeTests`", 0)]
    [InlineData("`UpgradeTests`", 1)]
    [InlineData("`Books.Tests/StandIn/ServerAnswersTests.cs`", 0)]
    [InlineData("`BookIndexesTests.Refused_commit_quorum_*`", 0)]
    [InlineData("`BookIndexesTests.Refused_commit_quorum`", 1)]
    [InlineData("`BookIndexesTests.No_such_test_*`", 1)]
    [InlineData("`Fail_command_*`", 0)]
    [InlineData("`Fail_order_*`", 1)]
    [InlineData("`MaxTimeAlwaysTimeOut_fails_only_limited_commands`", 0)]
    [InlineData("`Max_time_always_times_out_*`", 1)]
    [InlineData("`Numbers_of_any_type_compare_by_value`", 0)]
    [InlineData("`Numbers_of_any_kind_compare_by_value`", 1)]
    [InlineData("`MONGO_INITDB_ROOT_USERNAME` and `Books__RateLimit__Enabled`", 0)]
    public void A_name_that_is_no_test_is_reported(string markdown, int unknown) =>
        Assert.Equal(unknown, UnknownTests(markdown).Count());

    [Theory]
    [InlineData("[guide](docs/DEVELOPMENT.md#the-tests)", 0)]
    [InlineData("[guide](docs/DEVELOPMENT.md#no-such-heading)", 1)]
    [InlineData("[gone](docs/NO-SUCH.md)", 1)]
    [InlineData("[site](https://example.com/x.md#y)", 0)]
    public void A_link_to_nothing_is_reported(string markdown, int broken) =>
        Assert.Equal(broken, BrokenLinks(Path.Combine(SettingsTableTests.RepositoryRoot, "README.md"), markdown).Count());

    [GeneratedRegex(@"\b(?<type>[A-Z][A-Za-z0-9]*Tests)(?:\.cs\b|\.(?<method>[A-Z][A-Za-z0-9_]*)(?<prefix>\*)?)?")]
    private static partial Regex TestReference();

    /// <summary>A backticked name in the tests' style (<c>Sentence_case_words</c>, two words or more, the first not in
    /// capitals as an environment variable's is), with no class.</summary>
    [GeneratedRegex(@"(?<![.\w])`(?<method>[A-Z][a-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+_?)(?<prefix>\*)?`")]
    private static partial Regex BacktickedTestMethod();

    [GeneratedRegex(@"`(?<path>(?:Books\.[A-Za-z]+|tools|deploy|bench|docs|\.ci)/[^`\s*<>]*)`")]
    private static partial Regex RepositoryPath();

    [GeneratedRegex(@"\]\((?!https?:|mailto:)(?<path>[^)#\s]*)(?:#(?<anchor>[^)\s]+))?\)")]
    private static partial Regex RelativeLink();

    [GeneratedRegex(@"^#+\s+(.*)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\w\- ]")]
    private static partial Regex NotInAnchor();
}
