namespace Books.Tests.Hosting;

/// <summary>Publishing Books.AppHost as a manifest: what a deployment tool would be given.</summary>
[Collection(ExclusiveCollection.Name)]
public sealed class ManifestTests : IDisposable
{
    private readonly string _output = Directory.CreateTempSubdirectory("books-manifest-").FullName;

    public void Dispose() => Directory.Delete(_output, recursive: true);

    [Fact]
    public async Task Manifest_can_publish_the_mongo_container()
    {
        // MONGOD_PATH is set on purpose: publishing describes the container, whatever the run mode would do.
        using var manifest = JsonDocument.Parse(await PublishAsync("MONGOD_PATH=/nonexistent/mongod", $"{Books.AppHost.BooksDatabase.PublishContainerKey}=true"));
        var resources = manifest.RootElement.GetProperty("resources");

        var mongo = resources.GetProperty("mongo");
        Assert.Equal("container.v0", mongo.GetProperty("type").GetString());
        Assert.StartsWith("docker.io/library/mongo:8.", mongo.GetProperty("image").GetString());
        Assert.Equal("admin", mongo.GetProperty("env").GetProperty("MONGO_INITDB_ROOT_USERNAME").GetString());
        Assert.Equal("{mongo-password.value}", mongo.GetProperty("env").GetProperty("MONGO_INITDB_ROOT_PASSWORD").GetString());
        var volume = Assert.Single(mongo.GetProperty("volumes").EnumerateArray().ToArray());
        Assert.Equal("/data/db", volume.GetProperty("target").GetString());
        Assert.Equal(27017, mongo.GetProperty("bindings").GetProperty("tcp").GetProperty("targetPort").GetInt32());

        Assert.Contains("/booksdb?authSource=admin", resources.GetProperty("booksdb").GetProperty("connectionString").GetString());
        Assert.True(resources.GetProperty("mongo-password").GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());

        var api = resources.GetProperty("books-api");
        Assert.Equal("project.v0", api.GetProperty("type").GetString());
        Assert.Equal("{booksdb.connectionString}", api.GetProperty("env").GetProperty("ConnectionStrings__booksdb").GetString());
    }

    // Aspire's guidance for a database the app does not run: a connection string the deployer supplies. By default a
    // published manifest asks for booksdb's, and runs no MongoDB of its own.
    [Fact]
    public async Task Manifest_asks_for_the_connection_string()
    {
        using var manifest = JsonDocument.Parse(await PublishAsync());
        var resources = manifest.RootElement.GetProperty("resources");
        var booksdb = resources.GetProperty("booksdb");
        Assert.Equal("parameter.v0", booksdb.GetProperty("type").GetString());
        Assert.Equal("{booksdb.value}", booksdb.GetProperty("connectionString").GetString());
        Assert.True(booksdb.GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        Assert.False(resources.TryGetProperty("mongo", out _));
        Assert.False(resources.TryGetProperty("mongo-password", out _));
        var env = resources.GetProperty("books-api").GetProperty("env");
        Assert.Equal("{booksdb.connectionString}", env.GetProperty("ConnectionStrings__booksdb").GetString());
        Assert.DoesNotContain(env.EnumerateObject(), variable => variable.Name.StartsWith("BOOKSDB_", StringComparison.Ordinal)); // no server parts to leak
    }

    [Fact]
    public async Task Manifest_asks_for_the_identity_provider()
    {
        var text = await PublishAsync();
        using var manifest = JsonDocument.Parse(text);
        var resources = manifest.RootElement.GetProperty("resources");
        var env = resources.GetProperty("books-api").GetProperty("env");

        Assert.Equal("{books-api-authority.value}", env.GetProperty("Authentication__Schemes__Bearer__Authority").GetString());
        Assert.Equal("{books-api-audience.value}", env.GetProperty("Authentication__Schemes__Bearer__ValidAudiences__0").GetString());
        Assert.Equal("{books-api-allowed-hosts.value}", env.GetProperty("AllowedHosts").GetString()); // never '*' outside Development
        // books-identity is a development provider: a deployment brings its own, and no client secret of ours ships.
        Assert.False(resources.TryGetProperty("books-identity", out _));
        Assert.False(resources.TryGetProperty("books-dashboard-client-secret", out _));
        Assert.DoesNotContain("Identity__", text);
        foreach (var parameter in new[] { "books-api-authority", "books-api-audience", "books-api-allowed-hosts" })
        {
            Assert.Equal("parameter.v0", resources.GetProperty(parameter).GetProperty("type").GetString());
        }

        // Each parameter a deployer is asked for is named in DEPLOYMENT.md's settings table, in the row of the setting it sets.
        var rows = Contract.SettingsTableTests.Rows(await File.ReadAllTextAsync(
            Path.Combine(Contract.SettingsTableTests.RepositoryRoot, "DEPLOYMENT.md"), TestContext.Current.CancellationToken));
        var asked = env.EnumerateObject()
            .Where(variable => variable.Value.GetString() is { } value && value.EndsWith(".value}", StringComparison.Ordinal))
            .Select(variable => (Key: variable.Name.Replace("__0", "", StringComparison.Ordinal).Replace("__", ":", StringComparison.Ordinal),
                Parameter: variable.Value.GetString()!.Trim('{', '}').Replace(".value", "", StringComparison.Ordinal)))
            .ToList();
        Assert.Equal(3, asked.Count);
        Assert.All(asked, setting => Assert.Contains(rows, row => row.Keys.Contains(setting.Key, StringComparer.OrdinalIgnoreCase) && row.Row.Contains($"`{setting.Parameter}`", StringComparison.Ordinal)));
    }

    private Task<string> PublishAsync(params string[] arguments) => PublishManifestAsync(_output, arguments);

    /// <summary>
    /// The AppHost the test project built, run as <c>dotnet Books.AppHost.dll --publisher manifest --output-path ...</c>
    /// into <paramref name="output"/>: the manifest's text.
    /// </summary>
    public static async Task<string> PublishManifestAsync(string output, params string[] arguments)
    {
        var manifestPath = Path.Combine(output, "aspire-manifest.json");
        var appHost = Path.Combine(AppContext.BaseDirectory, "Books.AppHost.dll");
        var result = await ProcessRunner.RunAsync("dotnet", [appHost, "--publisher", "manifest", "--output-path", manifestPath, .. arguments],
            TimeSpan.FromMinutes(2), AppContext.BaseDirectory);
        Assert.True(result.ExitCode == 0, result.Text + result.Error);
        return await File.ReadAllTextAsync(manifestPath, TestContext.Current.CancellationToken);
    }
}
