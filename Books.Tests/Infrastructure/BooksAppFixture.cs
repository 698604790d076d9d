using Books.AppHost;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging.Console;

namespace Books.Tests.Infrastructure;

/// <summary>
/// Starts the real Books.AppHost once per test collection, in executable mode (a local mongod,
/// here the stand-in), and waits until books-api reports healthy.
/// </summary>
public class BooksAppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private string? _dataDirectory;
    private readonly DirectoryInfo _keyDirectory = Directory.CreateTempSubdirectory("books-tests-identity-");
    private DistributedApplication? _app;

    public BooksAppFixture() =>
        Tokens = new ProviderTokenSource(() => App.GetEndpoint(BooksApiTokens.IdentityResourceName, "http"), new TestClients());

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The AppHost has not started.");

    /// <summary>Tokens from the AppHost's books-identity, for the test clients this fixture registers with it.</summary>
    public ProviderTokenSource Tokens { get; }

    /// <summary>An HttpClient for books-api. By default it carries a write token from books-identity for a
    /// caller (client) of its own, so each client has its own rate-limit budget.</summary>
    public HttpClient CreateApiClient(bool authorized = true) =>
        CreateClient(App.GetEndpoint("books-api", "http"), authorized ? Tokens.Clients.NextWriter() : null);

    /// <summary>
    /// A client for <paramref name="address"/> that carries tokens of <paramref name="clientId"/>'s (none when null).
    /// Not App.CreateHttpClient: that client retries through the standard resilience handler, which would resend
    /// a write whose first attempt was slow and hide what the API really answered.
    /// </summary>
    public HttpClient CreateClient(Uri address, string? clientId)
    {
        HttpMessageHandler handler = new SocketsHttpHandler();
        if (clientId is not null)
        {
            var bearer = Tokens.BearerFor(clientId, "books.write");
            bearer.InnerHandler = handler;
            handler = bearer;
        }

        return new HttpClient(handler) { BaseAddress = address, Timeout = RequestTimeout };
    }

    /// <summary>The warnings and errors the AppHost itself logged so far.</summary>
    public IReadOnlyList<FakeLogRecord> AppHostWarnings => App.Services.GetFakeLogCollector().GetSnapshot();

    /// <summary>The value the running AppHost resolved for one of its parameters (a generated secret, say).</summary>
    public async Task<string> ParameterValueAsync(string name, CancellationToken cancellationToken) =>
        await App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>()
            .Single(p => p.Name == name).GetValueAsync(cancellationToken)
        ?? throw new InvalidOperationException($"Parameter '{name}' has no value.");

    public virtual async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Books_AppHost>(
            [.. AppHostArguments(), $"{BooksApiTokens.KeyDirectoryKey}={_keyDirectory.FullName}"], timeout.Token);
        WithoutTelemetryExport(builder);
        var identity = builder.CreateResourceBuilder<ProjectResource>(BooksApiTokens.IdentityResourceName);
        foreach (var (name, value) in Tokens.Clients.Settings("__"))
        {
            identity.WithEnvironment(name, value);
        }

        await ConfigureAsync(builder, timeout.Token);

        // Resource logs stay out of the console (the test platform replays all console output after any
        // failure, burying the failure itself); warnings and errors still come through.
        builder.Services.AddLogging(logging => logging.AddFilter<ConsoleLoggerProvider>(null, LogLevel.Warning));
        builder.Services.AddFakeLogging(options => options.FilteredLevels = new HashSet<LogLevel> { LogLevel.Warning, LogLevel.Error, LogLevel.Critical });
        _app = await builder.BuildAsync(timeout.Token);
        OnBuilt(_app);
        await _app.StartAsync(timeout.Token);
        // Not books-identity's health: its next probe can come seconds after it answers. The first token request waits for it instead.
        await WaitUntilHealthyAsync(_app, "books-api", timeout.Token);
        // That first token, here, within what is left of the start budget: books-identity JIT-compiles OpenIddict on it, which
        // can take longer than the 10 s a dashboard command gives it on a busy machine, and once (a fresh-clone CI run, several
        // AppHosts starting at once on 2 cores) longer than the token source's usual 30 s.
        await Tokens.ReaderTokenAsync(timeout.Token, StartTimeout);
    }

    /// <summary>
    /// The testing builder runs no dashboard, yet still points each project's OTLP exporter at the dashboard's
    /// port. Stopping books-api would then flush each telemetry provider into a closed port, longer than the
    /// orchestrator waits after SIGTERM before it kills the process. With no collector to export to, the projects
    /// export nothing.
    /// </summary>
    private static void WithoutTelemetryExport(IDistributedApplicationTestingBuilder builder)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project).WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }
    }

    /// <summary>
    /// Waits for a resource to turn healthy, and gives up as soon as it cannot (Aspire's StopOnResourceUnavailable: it,
    /// or a resource it waits for, failed to start or exited), with the log of every resource that ended.
    /// </summary>
    private async Task WaitUntilHealthyAsync(DistributedApplication app, string resourceName, CancellationToken cancellationToken)
    {
        try
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(resourceName, WaitBehavior.StopOnResourceUnavailable, cancellationToken);
        }
        catch (DistributedApplicationException ex)
        {
            var ended = app.Services.GetRequiredService<DistributedApplicationModel>().Resources
                .Where(resource => app.ResourceNotifications.TryGetCurrentState(resource.Name, out var state)
                    && state.Snapshot.State?.Text is { } text && KnownResourceStates.TerminalStates.Contains(text))
                .Select(resource => resource.Name);
            var logs = await Task.WhenAll(ended.Select(async name => $"{name}:\n{await RecentLogAsync(app, name)}"));
            throw new InvalidOperationException($"'{resourceName}' cannot turn healthy ({ex.Message}). The resources that ended, and their logs:\n{string.Join('\n', logs)}", ex);
        }
    }

    /// <summary>The last lines a resource logged, for a failure message.</summary>
    protected virtual async Task<string> RecentLogAsync(DistributedApplication app, string resourceName)
    {
        var lines = new List<string>();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(resourceName).WithCancellation(wait.Token))
            {
                lines.AddRange(batch.Select(line => line.Content));
            }
        }
        catch (OperationCanceledException)
        {
            // The log so far is all there is.
        }

        return string.Join('\n', lines.TakeLast(20));
    }

    /// <summary>The AppHost's command-line arguments: here executable mode with a data directory of its own.</summary>
    protected virtual string[] AppHostArguments()
    {
        _dataDirectory = Directory.CreateTempSubdirectory("books-tests-mongod-").FullName;
        return [$"MONGOD_PATH={MongodStandIn.LauncherPath}", $"MONGOD_DATA_PATH={_dataDirectory}"];
    }

    /// <summary>Changes the app model before it is built.</summary>
    protected virtual ValueTask ConfigureAsync(IDistributedApplicationTestingBuilder builder, CancellationToken cancellationToken) => default;

    /// <summary>Runs once the app is built, before it starts (to watch resources from their first state).</summary>
    protected virtual void OnBuilt(DistributedApplication app)
    {
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await _app.StopAsync(timeout.Token);
            await _app.DisposeAsync();
            _app = null;
        }

        if (_dataDirectory is not null)
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }

        _keyDirectory.Delete(recursive: true);

        GC.SuppressFinalize(this);
    }
}

/// <summary>The shared AppHost: its classes one at a time, beside the other collections.</summary>
[CollectionDefinition(Name)]
public sealed class BooksAppCollection : ICollectionFixture<BooksAppFixture>
{
    public const string Name = "Books AppHost";
}

/// <summary>
/// Classes that start an AppHost of their own (a class fixture) in container mode, or publish one: xUnit runs them
/// one class at a time, after every parallel collection has finished, and beside nothing else: building the
/// stand-in's image and starting containers would take the two cores from every timing margin running beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExclusiveCollection
{
    public const string Name = "Runs alone";
}
