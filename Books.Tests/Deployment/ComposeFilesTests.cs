using System.Text.RegularExpressions;

namespace Books.Tests.Deployment;

/// <summary>The Compose deployment's committed files against what the build declares once.</summary>
public sealed class ComposeFilesTests
{
    private static readonly string s_deploy = typeof(ComposeFilesTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "DeployDirectory").Value!;

    [Fact]
    public void The_env_example_deploys_this_version()
    {
        var version = typeof(Books.Api.BooksApiAssembly).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!
            .InformationalVersion.Split('+')[0];

        var tag = Regex.Match(File.ReadAllText(Path.Combine(s_deploy, ".env.example")), "^BOOKS_API_TAG=(.+)$", RegexOptions.Multiline);

        Assert.Equal(version, tag.Groups[1].Value.Trim());
    }

    [Fact]
    public void The_env_example_holds_no_secret()
    {
        var assigned = Regex.Matches(File.ReadAllText(Path.Combine(s_deploy, ".env.example")), "^([A-Z_]*(PASSWORD|SECRET)[A-Z_]*)=(.*)$", RegexOptions.Multiline);

        Assert.NotEmpty(assigned);
        Assert.All(assigned, match => Assert.Equal("", match.Groups[3].Value.Trim()));
    }
}
