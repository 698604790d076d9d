using Aspire.Hosting.Eventing;

namespace Books.Tests.Integrations.MongoDBHosting;

/// <summary>The hosting integration's app model, in small app models of its own (not Books.AppHost).</summary>
public sealed class MongoDBHostingTests : IDisposable
{
    private readonly string _mongod = MongodStandIn.LauncherPath;
    private readonly string _temp = Directory.CreateTempSubdirectory("books-hosting-").FullName;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static IDistributedApplicationBuilder CreateBuilder(params string[] args) =>
        DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = args, DisableDashboard = true });

    private static Dictionary<string, string> Properties(IResourceWithConnectionString resource) =>
        resource.GetConnectionProperties().ToDictionary(p => p.Key, p => p.Value.ValueExpression);

    [Fact]
    public void Container_database_exposes_connection_properties()
    {
        var builder = CreateBuilder();
        var db = builder.AddMongoDB("mongo").AddDatabase("booksdb");

        var properties = Properties(db.Resource);

        Assert.Equal("{mongo.bindings.tcp.host}", properties["Host"]);
        Assert.Equal("{mongo.bindings.tcp.port}", properties["Port"]);
        Assert.Equal("admin", properties["Username"]);
        Assert.Equal("{mongo-password.value}", properties["Password"]);
        Assert.Equal("booksdb", properties["DatabaseName"]);
        Assert.Equal(db.Resource.ConnectionStringExpression.ValueExpression, properties["Uri"]);
        Assert.Equal("admin", properties["AuthenticationDatabase"]);
        Assert.Equal("SCRAM-SHA-256", properties["AuthenticationMechanism"]);
        Assert.Equal(
            ["AuthenticationDatabase", "AuthenticationMechanism", "DatabaseName", "Host", "Password", "Port", "Uri", "Username"],
            properties.Keys.Order());
    }

    // The snippet the official docs give for Aspire.Hosting.MongoDB and for container resources; it must compile
    // on what AddMongoDB returns here, and mean the same thing.
    [Fact]
    public void Official_container_snippet_compiles()
    {
        var builder = CreateBuilder();

        var mongo = builder.AddMongoDB("mongo")
            .WithLifetime(ContainerLifetime.Persistent)
            .WithImageTag("8.0")
            .WithContainerName("books-mongo")
            .WithDataVolume();
        var mongodb = mongo.AddDatabase("mongodb");

        var container = Assert.IsType<MongoDBServerResource>(mongo.Resource);
        Assert.Equal(ContainerLifetime.Persistent, Assert.Single(container.Annotations.OfType<ContainerLifetimeAnnotation>()).Lifetime);
        Assert.Equal(("library/mongo", "8.0"), (container.Annotations.OfType<ContainerImageAnnotation>().Single().Image, container.Annotations.OfType<ContainerImageAnnotation>().Single().Tag));
        Assert.Equal("books-mongo", Assert.Single(container.Annotations.OfType<ContainerNameAnnotation>()).Name);
        Assert.Same(container, mongodb.Resource.Parent);
    }

    public static TheoryData<string, Action<IResourceBuilder<IMongoDBServerResource>>> ContainerOnlyCalls => new()
    {
        { "WithLifetime", mongo => mongo.WithLifetime(ContainerLifetime.Persistent) },
        { "WithImageTag", mongo => mongo.WithImageTag("8.0") },
        { "WithImage", mongo => mongo.WithImage("mongo") },
        { "WithImageRegistry", mongo => mongo.WithImageRegistry("registry.example") },
        { "WithContainerName", mongo => mongo.WithContainerName("books-mongo") },
    };

    [Theory]
    [MemberData(nameof(ContainerOnlyCalls))]
    public void Container_only_call_in_mongod_mode_stops_the_apphost(
        string call, Action<IResourceBuilder<IMongoDBServerResource>> configure)
    {
        var mongo = CreateBuilder($"MONGOD_PATH={_mongod}", $"MONGOD_DATA_PATH={_temp}").AddMongoDB("mongo");

        var error = Assert.Throws<DistributedApplicationException>(() => configure(mongo));

        Assert.StartsWith($"{call}() configures a container", error.Message);
        Assert.Contains("MONGOD_PATH", error.Message);
    }

    [Fact]
    public void Replica_set_is_refused_in_publish_mode()
    {
        var builder = CreateBuilder("--publisher", "manifest", "--output-path", Path.Combine(_temp, "manifest.json"));
        Assert.True(builder.ExecutionContext.IsPublishMode);
        var mongo = builder.AddMongoDB("mongo");

        var error = Assert.Throws<DistributedApplicationException>(() => mongo.WithReplicaSet());

        Assert.Contains("WithReplicaSet() on 'mongo' is for run mode", error.Message);
        Assert.Contains("AddConnectionString", error.Message);
    }

    [Fact]
    public void Executable_database_has_no_credentials()
    {
        var builder = CreateBuilder($"MONGOD_PATH={_mongod}");
        var db = builder.AddMongoDB("mongo").AddDatabase("catalog", "catalogdb");

        var properties = Properties(db.Resource);

        Assert.Equal(["DatabaseName", "Host", "Port", "Uri"], properties.Keys.Order());
        Assert.Equal("catalogdb", properties["DatabaseName"]);
        Assert.Equal("mongodb://{mongo.bindings.tcp.host}:{mongo.bindings.tcp.port}/catalogdb", properties["Uri"]);
    }

    [Fact]
    public void Custom_credentials_reach_the_connection_string()
    {
        var builder = CreateBuilder("Parameters:user=books", "Parameters:pass=p@ss/word");
        var mongo = builder.AddMongoDB("mongo", port: 27999,
            userName: builder.AddParameter("user"), password: builder.AddParameter("pass", secret: true));

        Assert.Equal(
            "mongodb://{user.value}:{pass.value}@{mongo.bindings.tcp.host}:{mongo.bindings.tcp.port}/?authSource=admin&authMechanism=SCRAM-SHA-256",
            mongo.Resource.ConnectionStringExpression.ValueExpression);
        Assert.Equal(27999, Assert.Single(mongo.Resource.Annotations.OfType<EndpointAnnotation>()).Port);
    }

    [Fact]
    public async Task Password_with_uri_characters_survives_escaping()
    {
        var builder = CreateBuilder("Parameters:user=bo:oks", "Parameters:pass=p@ss/word?#%");
        var db = builder.AddMongoDB("mongo", userName: builder.AddParameter("user"), password: builder.AddParameter("pass", secret: true))
            .AddDatabase("booksdb");
        var endpoint = Assert.Single(db.Resource.Parent.Annotations.OfType<EndpointAnnotation>());
        endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, "localhost", 27999);

        var connectionString = await db.Resource.ConnectionStringExpression.GetValueAsync(Cancellation);

        var url = MongoDB.Driver.MongoUrl.Create(connectionString);
        Assert.Equal(("bo:oks", "p@ss/word?#%", "booksdb"), (url.Username, url.Password, url.DatabaseName));
        Assert.Equal(("localhost", 27999), (url.Server.Host, url.Server.Port));
    }

    [Theory]
    [InlineData("no-such-container-runtime", "not installed")]
    [InlineData("false", "exited with code 1")]
    [InlineData("true", null)]
    public async Task Runtime_probe_says_why_it_failed(string runtime, string? reason)
    {
        var answer = await Aspire.Hosting.MongoDB.ContainerRuntimeProbe.ProbeAsync(runtime, Cancellation);

        if (reason is null)
        {
            Assert.Null(answer);
        }
        else
        {
            Assert.Contains(reason, answer);
        }
    }

    [Fact]
    public void Relative_mongod_path_resolves_from_working_directory()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, _mongod);
        Assert.False(Path.IsPathRooted(relative));

        var builder = CreateBuilder($"MONGOD_PATH={relative}", $"MONGOD_DATA_PATH={_temp}");
        var mongo = builder.AddMongoDB("mongo");

        Assert.Equal(_mongod, Assert.IsType<MongoDBExecutableResource>(mongo.Resource).Command);
    }

    [Fact]
    public async Task Init_files_in_mongod_mode_are_logged_not_run()
    {
        var builder = CreateBuilder($"MONGOD_PATH={_mongod}", $"MONGOD_DATA_PATH={_temp}");
        var mongo = builder.AddMongoDB("mongo").WithInitFiles(_temp);
        await using var app = builder.Build();

        await app.Services.GetRequiredService<IDistributedApplicationEventing>()
            .PublishAsync(new BeforeResourceStartedEvent(mongo.Resource, app.Services), Cancellation);

        var lines = new List<string>();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        wait.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(mongo.Resource).WithCancellation(wait.Token))
            {
                lines.AddRange(batch.Select(line => line.Content));
                if (lines.Any(line => line.Contains("are not run", StringComparison.Ordinal)))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!Cancellation.IsCancellationRequested)
        {
            // The warning never came; the assertion below says so.
        }

        Assert.Contains(lines, line => line.Contains($"Init files in '{_temp}' are not run", StringComparison.Ordinal));
    }

    [Fact]
    public void Container_data_mounts_at_data_db()
    {
        var builder = CreateBuilder();
        var volume = builder.AddMongoDB("a").WithDataVolume("books-data");
        var bind = builder.AddMongoDB("b").WithDataBindMount(_temp);

        var volumeMount = Assert.Single(volume.Resource.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal(("books-data", "/data/db", ContainerMountType.Volume), (volumeMount.Source, volumeMount.Target, volumeMount.Type));
        var bindMount = Assert.Single(bind.Resource.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal((_temp, "/data/db", ContainerMountType.BindMount), (bindMount.Source, bindMount.Target, bindMount.Type));
    }

    [Fact]
    public void Executable_data_follows_volume_and_bind_mount()
    {
        var builder = CreateBuilder($"MONGOD_PATH={_mongod}");
        var plain = (MongoDBExecutableResource)builder.AddMongoDB("plain").Resource;
        var volume = (MongoDBExecutableResource)builder.AddMongoDB("vol").WithDataVolume("books-data").Resource;
        var bind = (MongoDBExecutableResource)builder.AddMongoDB("bind").WithDataBindMount(_temp).Resource;

        var perUser = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        Assert.StartsWith(perUser, plain.DataDirectory);
        Assert.EndsWith("plain", plain.DataDirectory);
        Assert.Equal(Path.Combine(perUser, "aspire-mongod", "volumes", "books-data"), volume.DataDirectory);
        Assert.Equal(_temp, bind.DataDirectory);
    }

    [Fact]
    public void Configured_data_path_wins_over_volume_in_executable_mode()
    {
        var builder = CreateBuilder($"MONGOD_PATH={_mongod}", $"MONGOD_DATA_PATH={_temp}");

        var mongo = (MongoDBExecutableResource)builder.AddMongoDB("mongo").WithDataVolume().Resource;

        Assert.Equal(_temp, mongo.DataDirectory);
    }

    [Fact]
    public void Init_files_are_copied_into_the_entrypoint_folder()
    {
        var builder = CreateBuilder();

        var mongo = builder.AddMongoDB("mongo").WithInitFiles(_temp);

        var files = Assert.Single(mongo.Resource.Annotations.OfType<ContainerFileSystemCallbackAnnotation>());
        Assert.Equal("/docker-entrypoint-initdb.d", files.DestinationPath);
    }

    [Fact]
    public async Task Container_replica_set_adds_replSet()
    {
        var builder = CreateBuilder();

        var mongo = builder.AddMongoDB("mongo").WithReplicaSet("rs1");
        var db = mongo.AddDatabase("booksdb");

        var args = await AppModelValues.ArgumentsAsync(mongo.Resource, Cancellation);
        Assert.Equal(["--replSet", "rs1", "--keyFile", "/etc/mongo-keyfile/keyfile"], args);
        var keyFile = Assert.Single(mongo.Resource.Annotations.OfType<ContainerFileSystemCallbackAnnotation>());
        Assert.Equal("/etc/mongo-keyfile", keyFile.DestinationPath);
        Assert.EndsWith("/booksdb?authSource=admin&authMechanism=SCRAM-SHA-256&directConnection=true", db.Resource.ConnectionStringExpression.ValueExpression);
        Assert.Equal("rs1", mongo.Resource.ReplicaSetName);
    }

    [Fact]
    public async Task Executable_replica_set_passes_replSet_to_mongod()
    {
        var builder = CreateBuilder($"MONGOD_PATH={_mongod}", $"MONGOD_DATA_PATH={_temp}");

        var mongo = builder.AddMongoDB("mongo").WithReplicaSet();

        var args = await AppModelValues.ArgumentsAsync(mongo.Resource, Cancellation);
        Assert.Equal(["--port", "{mongo.bindings.tcp.targetPort}", "--bind_ip", "127.0.0.1", "--dbpath", _temp, "--replSet", "rs0"], args);
        Assert.Equal("mongodb://{mongo.bindings.tcp.host}:{mongo.bindings.tcp.port}/?directConnection=true",
            mongo.Resource.ConnectionStringExpression.ValueExpression);
    }

    [Fact]
    public void Server_and_databases_get_health_checks()
    {
        var builder = CreateBuilder();
        var mongo = builder.AddMongoDB("mongo");
        var db = mongo.AddDatabase("booksdb");

        Assert.Equal("mongo_check", Assert.Single(mongo.Resource.Annotations.OfType<HealthCheckAnnotation>()).Key);
        Assert.Equal("booksdb_check", Assert.Single(db.Resource.Annotations.OfType<HealthCheckAnnotation>()).Key);
    }

    [Theory]
    [InlineData("has.dot")]
    [InlineData("has space")]
    [InlineData("a/b")]
    public void Invalid_database_name_is_rejected(string databaseName)
    {
        var builder = CreateBuilder();

        var error = Assert.Throws<ArgumentException>(() => builder.AddMongoDB("mongo").AddDatabase("db", databaseName));

        Assert.Contains(databaseName, error.Message);
    }
}
