using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.MongoDB;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// Adds MongoDB to the app model with the official Aspire.Hosting.MongoDB names. A configured
/// <c>MONGOD_PATH</c> runs a local <c>mongod</c> instead of the <c>mongo</c> container, with the same
/// connection-string and health contract.
/// </summary>
public static partial class MongoDBBuilderExtensions
{
    /// <summary>Configuration key (or environment variable) naming a local mongod executable.</summary>
    public const string MongodPathKey = "MONGOD_PATH";

    /// <summary>Configuration key (or environment variable) naming the data directory of a local mongod.</summary>
    public const string MongodDataPathKey = "MONGOD_DATA_PATH";

    internal const string ContainerRegistry = "docker.io";
    internal const string ContainerImage = "library/mongo";
    internal const string ContainerTag = "8.2";
    internal const int ContainerPort = 27017;
    internal const string DataTargetPath = "/data/db";
    internal const string InitFilesTargetPath = "/docker-entrypoint-initdb.d";
    internal const string KeyFileDirectory = "/etc/mongo-keyfile";
    internal const string KeyFileName = "keyfile";
    private const int MongoImageUserId = 999; // the "mongodb" user of the official image

    /// <summary>How long one AppHost health probe may take before MongoDB counts as Unhealthy.</summary>
    public static readonly TimeSpan HealthCheckTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Adds a MongoDB server. In run mode with <c>MONGOD_PATH</c> set, a local mongod process on
    /// loopback without authentication; otherwise a <c>mongo</c> container with user <c>admin</c>
    /// (or <paramref name="userName"/>) and a generated password parameter <c>{name}-password</c>
    /// (or <paramref name="password"/>).
    /// </summary>
    /// <exception cref="DistributedApplicationException"><c>MONGOD_PATH</c> names a file that does not exist.</exception>
    public static IResourceBuilder<IMongoDBServerResource> AddMongoDB(
        this IDistributedApplicationBuilder builder,
        string name,
        int? port = null,
        IResourceBuilder<ParameterResource>? userName = null,
        IResourceBuilder<ParameterResource>? password = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        var mongodPath = builder.Configuration[MongodPathKey];
        IResourceBuilder<IMongoDBServerResource> server =
            builder.ExecutionContext.IsRunMode && !string.IsNullOrWhiteSpace(mongodPath)
                ? AddMongodExecutable(builder, name, port, ResolveMongodPath(builder, mongodPath))
                : AddMongoContainer(builder, name, port, userName, password);

        return server.WithPingHealthCheck(server.Resource, "admin");
    }

    /// <summary>Adds a database; its connection string is the server's with <c>/{databaseName}</c>.</summary>
    public static IResourceBuilder<MongoDBDatabaseResource> AddDatabase(
        this IResourceBuilder<IMongoDBServerResource> builder, string name, string? databaseName = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        var database = new MongoDBDatabaseResource(name, databaseName ?? name, builder.Resource);
        builder.Resource.Connection.AddDatabase(name, database.DatabaseName);

        if (builder.Resource is MongoDBExecutableResource)
        {
            // The orchestrator mirrors a container's state onto its children, not an executable's.
            MirrorParentState(builder.ApplicationBuilder, database);
        }

        return builder.ApplicationBuilder.AddResource(database)
            .WithPingHealthCheck(builder.Resource, database.DatabaseName);
    }

    /// <summary>
    /// Runs MongoDB as a single-member replica set, initiated automatically by the health check, so
    /// transactions and change streams work. Clients get <c>directConnection=true</c>; the server is
    /// reported healthy only once the member is a writable primary.
    /// </summary>
    public static IResourceBuilder<IMongoDBServerResource> WithReplicaSet(
        this IResourceBuilder<IMongoDBServerResource> builder, string replicaSetName = "rs0")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(replicaSetName);
        if (builder.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            // The AppHost's health check initiates the set; a deployment runs no AppHost, so every write would
            // be refused with NotWritablePrimary for ever.
            throw new DistributedApplicationException(
                $"WithReplicaSet() on '{builder.Resource.Name}' is for run mode: the AppHost's health check initiates the set, " +
                "and a deployment has no AppHost to do it. Deploy a replica set that is initiated by its own tooling " +
                "(or a managed MongoDB service) and pass its connection string to the app, for example with " +
                "builder.AddConnectionString(\"<name>\"); call WithReplicaSet() only when builder.ExecutionContext.IsRunMode.");
        }

        var server = builder.Resource;
        server.Connection.ReplicaSetName = replicaSetName;
        builder.ApplicationBuilder.CreateResourceBuilder((IResourceWithArgs)server).WithArgs(context =>
        {
            context.Args.Add("--replSet");
            context.Args.Add(replicaSetName);
        });

        if (server is MongoDBServerResource { PasswordParameter: { } } container)
        {
            // With authentication on, replica-set members must share a key file, even a set of one.
            var key = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(
                builder.ApplicationBuilder, $"{server.Name}-replica-set-key", special: false);
            key.Description = $"The key file the members of {server.Name}'s replica set share; generated.";
            builder.ApplicationBuilder.CreateResourceBuilder(container)
                .WithContainerFiles(KeyFileDirectory, async (_, cancellationToken) =>
                [
                    new ContainerFile
                    {
                        Name = KeyFileName,
                        Contents = await key.GetValueAsync(cancellationToken).ConfigureAwait(false),
                        Mode = UnixFileMode.UserRead,
                    },
                ], defaultOwner: MongoImageUserId, defaultGroup: MongoImageUserId)
                .WithArgs("--keyFile", $"{KeyFileDirectory}/{KeyFileName}");
        }

        return builder;
    }

    private static IResourceBuilder<IMongoDBServerResource> AddMongoContainer(
        IDistributedApplicationBuilder builder,
        string name,
        int? port,
        IResourceBuilder<ParameterResource>? userName,
        IResourceBuilder<ParameterResource>? password)
    {
        var passwordParameter = password?.Resource
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        passwordParameter.Description ??= $"The password of {name}'s admin user; generated when not given.";
        var server = new MongoDBServerResource(name, userName?.Resource, passwordParameter);

        if (builder.ExecutionContext.IsRunMode)
        {
            ContainerRuntimeProbe.WarnWhenMissing(builder, server);
        }

        return builder.AddResource(server)
            .WithEndpoint(port: port, targetPort: ContainerPort, name: MongoDBServerConnection.PrimaryEndpointName)
            .WithImage(ContainerImage, ContainerTag)
            .WithImageRegistry(ContainerRegistry)
            .WithEnvironment(context =>
            {
                // Read by the image's entrypoint only when /data/db is first initialised.
                context.EnvironmentVariables["MONGO_INITDB_ROOT_USERNAME"] = server.UserNameReference;
                context.EnvironmentVariables["MONGO_INITDB_ROOT_PASSWORD"] = passwordParameter;
            });
    }

    private static IResourceBuilder<T> WithPingHealthCheck<T>(this IResourceBuilder<T> builder, IMongoDBServerResource server, string databaseName)
        where T : IResourceWithConnectionString
    {
        var resource = builder.Resource;
        var key = $"{resource.Name}_check";
        builder.ApplicationBuilder.Services.TryAddSingleton<MongoDBHealthCheckClients>();
        builder.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            key,
            services => new MongoDBResourceHealthCheck(
                resource, server, databaseName, HealthCheckTimeout, services.GetRequiredService<MongoDBHealthCheckClients>()),
            failureStatus: null,
            tags: null,
            timeout: HealthCheckTimeout));

        return builder.WithHealthCheck(key);
    }
}
