using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Books.Tests.Api;

[Collection(MongodStandInCollection.Name)]
public sealed class GracefulShutdownTests(MongodStandInFixture mongod)
{
    private const string GateHeader = "X-Test-Gate";
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Holds requests carrying <see cref="GateHeader"/> until the test opens the gate.</summary>
    private sealed class Gate : IStartupFilter
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (HttpContext context, RequestDelegate nextMiddleware) =>
            {
                if (context.Request.Headers.ContainsKey(GateHeader))
                {
                    Entered.TrySetResult();
                    await Open.Task.WaitAsync(TimeSpan.FromSeconds(30));
                }

                await nextMiddleware(context);
            });
            next(app);
        };
    }

    [Fact]
    public async Task In_flight_request_completes_after_shutdown()
    {
        var gate = new Gate();
        var api = BooksApiHost.Create(mongod.NewDatabase(), services => services.AddSingleton<IStartupFilter>(gate));
        api.StartOnKestrel();
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        var mongoClient = api.Services.GetRequiredService<IMongoClient>();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/books/{book.Id()}");
        request.Headers.Add(GateHeader, "1");
        var inFlight = client.SendAsync(request, Cancellation);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);

        var lifetime = api.Services.GetRequiredService<IHostApplicationLifetime>();
        Assert.False(RefusesConnections(client.BaseAddress!), "Kestrel should be listening before the stop");
        lifetime.StopApplication(); // what SIGTERM does

        // Shutdown has begun for real once Kestrel stops listening: a new connection is refused while the
        // held request is still open. Only then is it released.
        using (var stopping = CancellationTokenSource.CreateLinkedTokenSource(Cancellation))
        {
            stopping.CancelAfter(TimeSpan.FromSeconds(10));
            await Eventually.TrueAsync(() => RefusesConnections(client.BaseAddress!), "Kestrel stops accepting connections", stopping.Token);
        }

        Assert.True(lifetime.ApplicationStopping.IsCancellationRequested);
        Assert.False(inFlight.IsCompleted, "the in-flight request was cut off");
        gate.Open.SetResult();

        using var response = await inFlight.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // served by a live MongoDB client, after shutdown began
        Assert.Equal(book.Id(), (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).Id());
        await api.DisposeAsync();

        // After StopApplication the API's own app.Run() disposes the host too, concurrently with the factory,
        // so the factory's DisposeAsync may return while the other disposal is still on its way to the client.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => IsDisposed(mongoClient), "the MongoDB client is disposed", timeout.Token);
    }

    private static bool RefusesConnections(Uri server)
    {
        try
        {
            using var connection = new System.Net.Sockets.TcpClient();
            connection.Connect(server.Host == "localhost" ? "127.0.0.1" : server.Host, server.Port);
            return false;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return true;
        }
    }

    private static bool IsDisposed(IMongoClient client)
    {
        try
        {
            client.StartSession(cancellationToken: Cancellation).Dispose();
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }
}
