namespace Books.Tests.AppModel;

/// <summary>The AppHost's app model, built but not started, in each MongoDB mode.</summary>
public sealed class AppModelTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static Task<IDistributedApplicationTestingBuilder> CreateAsync(params string[] args) =>
        DistributedApplicationTestingBuilder.CreateAsync<Projects.Books_AppHost>(args, Cancellation);

    [Fact]
    public async Task Container_mode_runs_mongo_with_root_credentials()
    {
        await using var builder = await CreateAsync("MONGOD_PATH=");

        var mongo = Assert.IsType<MongoDBServerResource>(builder.Resources.Single(r => r.Name == "mongo"));
        var image = Assert.Single(mongo.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal("docker.io", image.Registry);
        Assert.Equal("library/mongo", image.Image);
        Assert.StartsWith("8.", image.Tag);
        var endpoint = Assert.Single(mongo.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(("tcp", 27017), (endpoint.Name, endpoint.TargetPort));

        var environment = await AppModelValues.EnvironmentAsync(mongo, Cancellation);
        Assert.Equal("admin", environment["MONGO_INITDB_ROOT_USERNAME"]);
        Assert.Equal("{mongo-password.value}", environment["MONGO_INITDB_ROOT_PASSWORD"]);

        var booksdb = Assert.IsType<MongoDBDatabaseResource>(builder.Resources.Single(r => r.Name == "booksdb"));
        Assert.Same(mongo, booksdb.Parent);
        Assert.Equal(
            "mongodb://admin:{mongo-password.value}@{mongo.bindings.tcp.host}:{mongo.bindings.tcp.port}/booksdb?authSource=admin&authMechanism=SCRAM-SHA-256",
            booksdb.ConnectionStringExpression.ValueExpression);
    }

    // Aspire 13: a parameter's description is what the dashboard and the deploy prompts show the person asked for it.
    [Theory]
    [InlineData("run", new string[0])]
    [InlineData("publish", new[] { "--publisher", "manifest", "--output-path", "/dev/null" })]
    public async Task Every_parameter_says_what_it_is(string mode, string[] args)
    {
        await using var builder = await CreateAsync(args);
        var parameters = builder.Resources.OfType<ParameterResource>().ToList();

        Assert.NotEmpty(parameters);
        Assert.Equal(mode == "publish", builder.ExecutionContext.IsPublishMode);
        Assert.All(parameters, parameter => Assert.False(string.IsNullOrWhiteSpace(parameter.Description), $"{parameter.Name} has no description"));
    }

    [Fact]
    public async Task Books_api_waits_for_booksdb()
    {
        await using var builder = await CreateAsync("MONGOD_PATH=");

        var api = Assert.IsType<ProjectResource>(builder.Resources.Single(r => r.Name == "books-api"));
        var booksdb = builder.Resources.Single(r => r.Name == "booksdb");

        Assert.Contains(api.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource == booksdb);
        var environment = await AppModelValues.EnvironmentAsync(api, Cancellation);
        Assert.Equal("{booksdb.connectionString}", environment["ConnectionStrings__booksdb"]);
        // Run mode: books-api trusts books-identity, the provider the AppHost runs beside it, and nothing else.
        Assert.Equal("{books-identity.bindings.http.url}", environment["Authentication__Schemes__Bearer__Authority"]);
        Assert.Equal("books-api", environment["Authentication__Schemes__Bearer__ValidAudiences__0"]);
        Assert.DoesNotContain(environment.Keys, key => key.StartsWith("Books__Auth__", StringComparison.Ordinal));
        Assert.Contains(api.Annotations.OfType<HealthCheckAnnotation>(), _ => true);
    }

    [Fact]
    public async Task Books_identity_runs_in_run_mode()
    {
        var keys = Path.Combine(Path.GetTempPath(), $"books-model-keys-{Guid.NewGuid():N}");
        await using var builder = await CreateAsync("MONGOD_PATH=", $"BooksIdentity:KeyDirectory={keys}");

        var identity = Assert.IsType<ProjectResource>(builder.Resources.Single(r => r.Name == "books-identity"));
        var environment = await AppModelValues.EnvironmentAsync(identity, Cancellation);

        Assert.Equal(keys, environment["Identity__KeyDirectory"]);
        Assert.Equal("{books-dashboard-client-secret.value}", environment["Identity__Clients__books-dashboard__Secret"]);
        Assert.Equal("books.write books.admin", environment["Identity__Clients__books-dashboard__Scopes"]);
        var secret = Assert.IsType<ParameterResource>(builder.Resources.Single(r => r.Name == "books-dashboard-client-secret"));
        Assert.True(secret.Secret);
        Assert.Contains(identity.Annotations.OfType<HealthCheckAnnotation>(), _ => true);
        // It starts once books-api is healthy, so its start-up does not slow books-api's; books-api does not wait for it.
        var api = builder.Resources.Single(r => r.Name == "books-api");
        Assert.Contains(identity.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource == api);
        Assert.DoesNotContain(api.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource == identity);
    }

    [Fact]
    public async Task Executable_mode_runs_mongod()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"books-model-{Guid.NewGuid():N}");
        await using var builder = await CreateAsync($"MONGOD_PATH={MongodStandIn.LauncherPath}", $"MONGOD_DATA_PATH={dataDirectory}");

        Assert.DoesNotContain(builder.Resources, r => r is ContainerResource);
        var mongo = Assert.IsType<MongoDBExecutableResource>(builder.Resources.Single(r => r.Name == "mongo"));
        Assert.Equal(MongodStandIn.LauncherPath, mongo.Command);
        Assert.Null(mongo.PasswordParameter);

        var args = await AppModelValues.ArgumentsAsync(mongo, Cancellation);
        Assert.Equal(["--port", "{mongo.bindings.tcp.targetPort}", "--bind_ip", "127.0.0.1", "--dbpath", dataDirectory], args);

        var booksdb = Assert.IsType<MongoDBDatabaseResource>(builder.Resources.Single(r => r.Name == "booksdb"));
        Assert.Equal("mongodb://{mongo.bindings.tcp.host}:{mongo.bindings.tcp.port}/booksdb", booksdb.ConnectionStringExpression.ValueExpression);
    }

    [Fact]
    public async Task Missing_mongod_path_stops_the_apphost_naming_the_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-mongod-{Guid.NewGuid():N}");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => CreateAsync($"MONGOD_PATH={missing}"));

        var message = string.Join(" | ", Flatten(error).Select(e => e.Message));
        Assert.Contains(missing, message);
        Assert.Contains("MONGOD_PATH", message);
    }

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}
