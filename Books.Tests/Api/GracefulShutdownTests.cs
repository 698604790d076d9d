using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Books.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MongoDB.Driver;

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
    public async Task In_flight_request_completes_during_shutdown_then_the_client_is_disposed()
    {
        var gate = new Gate();
        var api = BooksApiHost.Create(mongod.NewDatabase(), services => services.AddSingleton<IStartupFilter>(gate));
        api.UseKestrel(0);
        api.StartServer();
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        var mongoClient = api.Services.GetRequiredService<IMongoClient>();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/books/{book.Id()}");
        request.Headers.Add(GateHeader, "1");
        var inFlight = client.SendAsync(request, Cancellation);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);

        var lifetime = api.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.StopApplication(); // what SIGTERM does
        await Task.Delay(TimeSpan.FromMilliseconds(300), Cancellation);
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
