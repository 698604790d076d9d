using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace Books.Tests.Infrastructure;

/// <summary>
/// Starts the real Books.AppHost in container mode (no <c>MONGOD_PATH</c>): the <c>mongo</c> resource runs
/// in the container engine, from the stand-in image the test swaps in for <c>mongo:8</c>, with a data
/// volume of its own that <see cref="DisposeAsync"/> removes. Nothing starts when no engine answers;
/// tests then call <see cref="ContainerEngine.Require"/> and are skipped (or fail under CI).
/// </summary>
public class ContainerAppFixture : BooksAppFixture
{
    /// <summary>The named volume at <c>/data/db</c>, unique to this fixture.</summary>
    public string VolumeName { get; } = $"books-tests-mongo-{Guid.NewGuid():N}";

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
        var image = (await ContainerEngine.StandInImageAsync()).Split(':');
        var annotation = mongo.Annotations.OfType<ContainerImageAnnotation>().Single();
        (annotation.Registry, annotation.Image, annotation.Tag) = (null, image[0], image[1]);

        // The AppHost's WithDataVolume() named the volume after the app; a developer's own data may be in it.
        var data = mongo.Annotations.OfType<ContainerMountAnnotation>().Single(m => m.Target == "/data/db");
        mongo.Annotations.Remove(data);
        mongo.Annotations.Add(new ContainerMountAnnotation(VolumeName, data.Target, ContainerMountType.Volume, data.IsReadOnly));

        if (ReplicaSet)
        {
            builder.CreateResourceBuilder<IMongoDBServerResource>(mongo).WithReplicaSet();
        }
    }

    /// <summary>The id of the container the orchestrator runs <c>mongo</c> in.</summary>
    public async Task<string> MongoContainerIdAsync(CancellationToken cancellationToken)
    {
        var running = await App.ResourceNotifications.WaitForResourceAsync(
            "mongo", e => e.Snapshot.Properties.Any(p => p.Name == "container.id" && p.Value is string { Length: > 0 }), cancellationToken);
        return (string)running.Snapshot.Properties.Single(p => p.Name == "container.id").Value!;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (EngineUnavailable is null)
        {
            await ContainerEngine.TryRunAsync("volume", "rm", "--force", VolumeName);
        }
    }
}
