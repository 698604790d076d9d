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

    /// <summary>Secrets are files (make-secrets), mounted in /run/secrets: none is a variable of .env, or of compose.yaml.</summary>
    [Fact]
    public void No_secret_is_a_variable()
    {
        var variables = Regex.Matches(File.ReadAllText(Path.Combine(s_deploy, ".env.example")), "^#? ?([A-Z_]+)=", RegexOptions.Multiline)
            .Select(match => match.Groups[1].Value)
            .Concat(Regex.Matches(File.ReadAllText(Path.Combine(s_deploy, "compose.yaml")), @"\$\{([A-Z_]+)").Select(match => match.Groups[1].Value))
            .ToList();

        Assert.Contains("BOOKS_API_TAG", variables); // the patterns find variables at all
        Assert.DoesNotContain(variables, name => name.Contains("PASSWORD", StringComparison.Ordinal) || (name.Contains("SECRET", StringComparison.Ordinal)
            && name != "BOOKS_SECRETS"));
    }
}
