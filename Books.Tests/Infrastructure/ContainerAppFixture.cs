using System.Collections.Concurrent;
using System.Formats.Tar;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Books.Tests.Infrastructure;

/// <summary>
/// Starts the real Books.AppHost in container mode (no <c>MONGOD_PATH</c>): the <c>mongo</c> resource runs
/// in the container engine, from the stand-in image the test swaps in for <c>mongo:8</c>, with a data
/// volume of its own that <see cref="DisposeAsync"/> removes. Nothing starts when no engine answers;
/// tests then call <see cref="ContainerEngine.Require"/> and are skipped (or fail under CI).
/// </summary>
public class ContainerAppFixture : BooksAppFixture
{
    private readonly CancellationTokenSource _stopWatching = new();

    /// <summary>The named volume at <c>/data/db</c>, unique to this fixture.</summary>
    public string VolumeName { get; } = $"books-tests-mongo-{Guid.NewGuid():N}";

    /// <summary>A script given to <c>WithInitFiles</c> (not with <see cref="ReplicaSet"/>).</summary>
    public const string InitFileName = "books-init.js";
    public const string InitFileContent = "db.getSiblingDB('booksdb').createUser({ user: 'from-init', pwd: 'from-init', roles: [] });\n";

    private readonly DirectoryInfo _initFiles = Directory.CreateTempSubdirectory("books-tests-init-");

    /// <summary>Why no container engine runs here, or <see langword="null"/>.</summary>
    public string? EngineUnavailable { get; private set; }

    /// <summary>Run <c>mongo</c> as a replica set (<c>WithReplicaSet()</c>).</summary>
    public bool ReplicaSet { get; init; }

    public override async ValueTask InitializeAsync()
    {
        EngineUnavailable = await ContainerEngine.UnavailableReasonAsync();
        if (EngineUnavailable is null)
        {
            await base.InitializeAsync();
        }
    }

    protected override string[] AppHostArguments() => [$"{MongoDBBuilderExtensions.MongodPathKey}="];

    protected override async ValueTask ConfigureAsync(IDistributedApplicationTestingBuilder builder, CancellationToken cancellationToken)
    {
        var mongo = builder.Resources.OfType<MongoDBServerResource>().Single();
        var container = builder.CreateResourceBuilder(mongo);
        var image = (await ContainerEngine.StandInImageAsync()).Split(':');
        container.WithImageRegistry(null).WithImage(image[0], image[1]);

        // The AppHost's WithDataVolume() named the volume after the app; a developer's own data may be in it. Its one
        // mount so far (the data volume) is replaced by a volume of this fixture's own.
        container.WithAnnotation(new ContainerMountAnnotation(VolumeName, "/data/db", ContainerMountType.Volume, isReadOnly: false),
            ResourceAnnotationMutationBehavior.Replace);

        if (!ReplicaSet)
        {
            File.WriteAllText(Path.Combine(_initFiles.FullName, InitFileName), InitFileContent);
            builder.CreateResourceBuilder<IMongoDBServerResource>(mongo).WithInitFiles(_initFiles.FullName);
        }
        else
        {
            builder.CreateResourceBuilder<IMongoDBServerResource>(mongo).WithReplicaSet();
            // Longer than the AppHost's re-probe interval, so a health check that passed a secondary would show.
            builder.CreateResourceBuilder(mongo).WithEnvironment("STANDIN_ELECTION_DELAY_MS", "3000");
        }
    }

    /// <summary>Every change of <c>mongo</c>'s health, with when the test saw it, from its first state on, with the checks' descriptions.</summary>
    public ConcurrentQueue<(HealthStatus? Status, string Descriptions, DateTime SeenAt)> MongoHealthHistory { get; } = new();

    private Task? _watcher;

    protected override void OnBuilt(DistributedApplication app) =>
        _watcher = Task.Run(async () =>
        {
            await foreach (var update in app.ResourceNotifications.WatchAsync(_stopWatching.Token))
            {
                var entry = (update.Snapshot.HealthStatus, string.Join("; ", update.Snapshot.HealthReports.Select(r => r.Description)));
                var last = MongoHealthHistory.LastOrDefault();
                if (update.Resource.Name == "mongo" && entry != (last.Status, last.Descriptions))
                {
                    MongoHealthHistory.Enqueue((entry.HealthStatus, entry.Item2, DateTime.UtcNow));
                }
            }
        });

    /// <summary>The id of the container the orchestrator runs <c>mongo</c> in.</summary>
    public async Task<string> MongoContainerIdAsync(CancellationToken cancellationToken)
    {
        var running = await App.ResourceNotifications.WaitForResourceAsync(
            "mongo", e => e.Snapshot.Properties.Any(p => p.Name == "container.id" && p.Value is string { Length: > 0 }), cancellationToken);
        return (string)running.Snapshot.Properties.Single(p => p.Name == "container.id").Value!;
    }

    /// <summary>One field of <c>docker inspect</c> on the <c>mongo</c> container, as JSON.</summary>
    public async Task<JsonElement> InspectMongoAsync(string field, CancellationToken cancellationToken) =>
        JsonDocument.Parse(await ContainerEngine.RunAsync("inspect", "--format", $"{{{{json .{field}}}}}", await MongoContainerIdAsync(cancellationToken))).RootElement;

    /// <summary>A file inside the <c>mongo</c> container as the engine archives it: its tar entry (mode, owner) and content.</summary>
    public async Task<(TarEntry Entry, byte[] Content)> MongoFileAsync(string path, CancellationToken cancellationToken)
    {
        var archive = await ContainerEngine.RunBinaryAsync("cp", $"{await MongoContainerIdAsync(cancellationToken)}:{path}", "-");
        using var reader = new TarReader(new MemoryStream(archive));
        var entry = await reader.GetNextEntryAsync(copyData: true, cancellationToken)
            ?? throw new InvalidOperationException($"{path} came back empty.");
        using var content = new MemoryStream();
        if (entry.DataStream is { } data)
        {
            await data.CopyToAsync(content, cancellationToken);
        }

        return (entry, content.ToArray());
    }

    protected override async Task<string> RecentLogAsync(DistributedApplication app, string resourceName)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var snapshot = await app.ResourceNotifications.WaitForResourceAsync(resourceName, _ => true, timeout.Token);
        return snapshot.Snapshot.Properties.FirstOrDefault(p => p.Name == "container.id")?.Value is string { Length: > 0 } container
            && await ContainerEngine.TryRunAsync("logs", "--tail", "20", container) is var (_, output, error)
            ? output + error
            : await base.RecentLogAsync(app, resourceName);
    }

    public override async ValueTask DisposeAsync()
    {
        await _stopWatching.CancelAsync();
        try
        {
            await (_watcher ?? Task.CompletedTask);
        }
        catch (OperationCanceledException)
        {
            // stopped, as asked; any other fault of the watcher fails the fixture here
        }

        await base.DisposeAsync();
        _stopWatching.Dispose();
        _initFiles.Delete(recursive: true);
        if (EngineUnavailable is null)
        {
            await ContainerEngine.TryRunAsync("volume", "rm", "--force", VolumeName);
        }
    }
}
