using System.Net;
using System.Net.Sockets;
using System.Net.Http.Json;
using Books.Api.Security;
using Books.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MongoDB.Driver;

namespace Books.Tests.Api;

/// <summary>
/// The write rate limit on a clock the test moves: windows aligned to the clock, the budget per caller, the
/// Retry-After that names the seconds left, and the window's record in MongoDB (keyed by a hash, expiring
/// when the window ends).
/// </summary>
[Collection(MongodStandInCollection.Name)]
public sealed class RateLimitTests(MongodStandInFixture mongod)
{
    private const int Permits = 3;
    private static readonly TimeSpan s_window = TimeSpan.FromSeconds(60);
    private static readonly DateTimeOffset s_windowStart = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_caller_gets_its_permits_per_clock_aligned_window_then_429_with_the_seconds_left()
    {
        var clock = new ManualClock(s_windowStart.AddSeconds(15.5));
        await using var api = BooksApiHost.Create(
            mongod.NewDatabase(),
            services => services.AddSingleton<TimeProvider>(clock),
            new Dictionary<string, string>
            {
                [BooksSecurity.WritesPerWindowKey] = Permits.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [BooksSecurity.WindowSecondsKey] = s_window.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        using var alice = api.CreateWriterClient();
        using var other = api.CreateWriterClient();
        async Task<HttpResponseMessage> WriteAsync(HttpClient client) =>
            await client.PostAsync("/api/books", TestBooks.Json("""{ "title": "" }"""), Cancellation); // refused by validation, after the limit

        for (var i = 0; i < Permits; i++)
        {
            using var allowed = await WriteAsync(alice);
            Assert.Equal(HttpStatusCode.BadRequest, allowed.StatusCode);
        }

        using (var limited = await WriteAsync(alice))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(45), limited.Headers.RetryAfter?.Delta); // 44.5 s left, rounded up
            var problem = await limited.ProblemAsync(Cancellation);
            Assert.Equal("Too many writes", problem.GetProperty("title").GetString());
            Assert.Equal($"At most {Permits} writes per 60 s per caller; retry after the Retry-After delay.", problem.GetProperty("detail").GetString());
        }

        using (var unaffected = await WriteAsync(other))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unaffected.StatusCode);
        }

        clock.Now = s_windowStart + s_window - TimeSpan.FromMilliseconds(100);
        using (var lastMoment = await WriteAsync(alice))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, lastMoment.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), lastMoment.Headers.RetryAfter?.Delta);
        }

        clock.Now = s_windowStart + s_window;
        using (var nextWindow = await WriteAsync(alice))
        {
            Assert.Equal(HttpStatusCode.BadRequest, nextWindow.StatusCode);
        }

        // One record per caller and window: its id is a hash (no subject stored) and the window's start; it
        // expires when the window ends; its count includes the refused writes.
        var windows = await api.Services.GetRequiredService<IMongoCollection<WriteWindow>>()
            .Find(FilterDefinition<WriteWindow>.Empty).ToListAsync(Cancellation);
        var first = Assert.Single(windows, w => w.Id.EndsWith($":{s_windowStart.ToUnixTimeSeconds()}", StringComparison.Ordinal) && w.Count == Permits + 2);
        Assert.DoesNotContain("alice", first.Id, StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{32}:[0-9]+$", first.Id);
        Assert.Equal((s_windowStart + s_window).UtcDateTime, first.ExpiresAt.ToUniversalTime());
        Assert.Contains(windows, w => w.Id == $"{first.Id.Split(':')[0]}:{(s_windowStart + s_window).ToUnixTimeSeconds()}" && w.Count == 1);
    }

    [Fact]
    public async Task Callers_without_a_subject_are_counted_by_their_address()
    {
        await using var api = BooksApiHost.Create(
            mongod.NewDatabase(),
            services => services.AddSingleton<TimeProvider>(new ManualClock(s_windowStart)),
            new Dictionary<string, string> { [BooksSecurity.WritesPerWindowKey] = "1" });
        api.StartOnKestrel(); // real connections, so the API sees each client's address
        int port;
        using (var probe = api.CreateClient())
        {
            port = probe.BaseAddress!.Port;
        }
        // A token shape our provider never issues (no subject), signed with its key.
        var claims = BooksApiHost.Identity.WriterClaims("unused");
        claims.Remove("sub");
        var token = BooksApiHost.Identity.Sign(claims);
        using var first = ClientFrom(IPAddress.Parse("127.0.0.1"), port, token);
        using var second = ClientFrom(IPAddress.Parse("127.0.0.2"), port, token); // the same token from another address

        Assert.Equal(HttpStatusCode.BadRequest, await StatusOfWriteAsync(first));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusOfWriteAsync(first));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusOfWriteAsync(second));
    }

    private static async Task<HttpStatusCode> StatusOfWriteAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/api/books", TestBooks.Json("""{ "title": "" }"""), Cancellation);
        return response.StatusCode;
    }

    /// <summary>A client whose connections come from <paramref name="local"/> (any 127.x address is loopback).</summary>
    private static HttpClient ClientFrom(IPAddress local, int port, string token)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }
}
