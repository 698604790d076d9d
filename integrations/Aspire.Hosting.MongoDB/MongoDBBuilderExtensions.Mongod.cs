using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

// Local-mongod mode, which the official package does not have: a mongod process on loopback, without
// authentication, for machines with no container runtime. Set MONGOD_PATH to use it.
public static partial class MongoDBBuilderExtensions
{
    private static IResourceBuilder<IMongoDBServerResource> AddMongodExecutable(
        IDistributedApplicationBuilder builder, string name, int? port, string mongodPath)
    {
        var dataDirectory = HasConfiguredDataPath(builder)
            ? Path.GetFullPath(builder.Configuration[MongodDataPathKey]!)
            : Path.Combine(PerUserDataRoot(), SanitizeName(builder.Environment.ApplicationName), name);
        var server = new MongoDBExecutableResource(name, mongodPath, dataDirectory);

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, (_, _) =>
        {
            Directory.CreateDirectory(server.DataDirectory);
            return Task.CompletedTask;
        });

        // The standard mongod flags; the port is allocated by the orchestrator.
        return builder.AddResource(server)
            .WithEndpoint(port: port, name: MongoDBServerConnection.PrimaryEndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                context.Args.Add("--port");
                context.Args.Add(server.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--bind_ip");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--dbpath");
                context.Args.Add(server.DataDirectory);
            });
    }

    private static void MirrorParentState(IDistributedApplicationBuilder builder, MongoDBDatabaseResource database)
    {
        builder.Eventing.Subscribe<InitializeResourceEvent>(database, (@event, cancellationToken) =>
        {
            var notifications = @event.Notifications;
            _ = Task.Run(async () =>
            {
                await foreach (var update in notifications.WatchAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (update.Resource == database.Parent)
                    {
                        await notifications.PublishUpdateAsync(database, snapshot => snapshot with
                        {
                            State = update.Snapshot.State,
                            StartTimeStamp = update.Snapshot.StartTimeStamp,
                            StopTimeStamp = update.Snapshot.StopTimeStamp,
                        }).ConfigureAwait(false);
                    }
                }
            }, cancellationToken);
            return Task.CompletedTask;
        });
    }

    private static string ResolveMongodPath(IDistributedApplicationBuilder builder, string configuredPath)
    {
        string[] candidates = Path.IsPathRooted(configuredPath)
            ? [configuredPath]
            : [.. new[] { Path.GetFullPath(configuredPath), Path.GetFullPath(Path.Combine(builder.AppHostDirectory, configuredPath)) }.Distinct()];

        return candidates.FirstOrDefault(File.Exists)
            ?? throw new DistributedApplicationException(
                $"{MongodPathKey} is set to '{configuredPath}', but no mongod executable exists at " +
                $"{string.Join(" or ", candidates.Select(c => $"'{c}'"))}. Point {MongodPathKey} at a mongod binary, " +
                "or unset it to run MongoDB in a container.");
    }

    // An operator's (or a test's) MONGOD_DATA_PATH wins over the data options in AppHost code.
    private static bool HasConfiguredDataPath(IDistributedApplicationBuilder builder) =>
        !string.IsNullOrEmpty(builder.Configuration[MongodDataPathKey]);

    private static string PerUserDataRoot() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "aspire-mongod");
}
