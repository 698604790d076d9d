namespace Books.Tests.Infrastructure;

/// <summary>
/// The real AppHost with books-api at two replicas (<c>BooksApi:Replicas=2</c>) behind the orchestrator's
/// proxy, and a write limit small enough to reach: <see cref="WritesPerWindow"/> per <see cref="Window"/>.
/// </summary>
public sealed class ReplicatedAppFixture : BooksAppFixture
{
    public const int Replicas = 2;
    public const int WritesPerWindow = 40;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    protected override string[] AppHostArguments() => [.. base.AppHostArguments(), $"BooksApi:Replicas={Replicas}"];

    protected override ValueTask ConfigureAsync(IDistributedApplicationTestingBuilder builder, CancellationToken cancellationToken)
    {
        builder.CreateResourceBuilder<ProjectResource>("books-api")
            .WithEnvironment(SettingsKey.AsEnvironmentVariable(RateLimitSettings.WritesPerWindowKey), WritesPerWindow.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment(SettingsKey.AsEnvironmentVariable(RateLimitSettings.WindowSecondsKey), Window.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return default;
    }

    /// <summary>Each replica's own address (its ASPNETCORE_URLS), bypassing the proxy.</summary>
    public async Task<IReadOnlyList<Uri>> ReplicaAddressesAsync(CancellationToken cancellationToken) =>
        [.. (await ReplicasAsync(cancellationToken)).Values];

    /// <summary>Each replica's resource id (what the dashboard lists as a row of its own) and address.</summary>
    public async Task<IReadOnlyDictionary<string, Uri>> ReplicasAsync(CancellationToken cancellationToken)
    {
        var addresses = new Dictionary<string, Uri>();
        await foreach (var update in App.ResourceNotifications.WatchAsync(cancellationToken))
        {
            if (update.Resource.Name == "books-api"
                && update.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "ASPNETCORE_URLS")?.Value is { Length: > 0 } urls)
            {
                addresses[update.ResourceId] = new Uri(urls.Split(';')[0]);
                if (addresses.Count == Replicas)
                {
                    return addresses;
                }
            }
        }

        throw new OperationCanceledException(cancellationToken);
    }

    /// <summary>A client for one replica, with a write token of <paramref name="clientId"/>'s (a writer of <see cref="BooksAppFixture.Tokens"/>).</summary>
    public HttpClient CreateReplicaClient(Uri replica, string clientId) => CreateClient(replica, clientId);
}

/// <summary>
/// The replicated AppHost, shared by the classes that need two replicas or stop MongoDB (one class at a time): one
/// AppHost start instead of one per class.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ReplicatedAppCollection : ICollectionFixture<ReplicatedAppFixture>
{
    public const string Name = "replicated AppHost";
}
