using Books.Api.Limits;
using Books.Api;
using System.Net.Sockets;
using Books.Api.Security;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Books.Tests.Api;

/// <summary>
/// The write rate limit on a clock the test moves: the budget per caller over any span of one window, the
/// Retry-After that names the seconds until a write leaves that span, and the caller's record in MongoDB (keyed by
/// a hash, expiring a window after its last write).
/// </summary>
[Collection(SecondMongodStandInCollection.Name)]
public sealed class RateLimitTests(MongodStandInFixture mongod)
{
    private const int Permits = 3;
    private static readonly TimeSpan s_window = TimeSpan.FromSeconds(60);
    private static readonly DateTimeOffset s_windowStart = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    // The promise (docs/API.md, RELIABILITY.md): at most Permits writes per caller in any span of one window's length.
    // Fixed windows break it at their edge: 3 writes at 59 s and 3 more at 60 s would be 6 within one second.
    [Fact]
    public async Task No_window_admits_more_than_the_limit()
    {
        var clock = new ManualClock(s_windowStart.AddSeconds(59));
        await using var api = CreateApi(clock);
        using var alice = api.CreateWriterClient();
        using var other = api.CreateWriterClient();

        foreach (var at in new[] { 59.0, 59.5, 59.9 })
        {
            clock.Now = s_windowStart.AddSeconds(at);
            Assert.Equal(HttpStatusCode.BadRequest, await StatusOfWriteAsync(alice)); // admitted, then refused by validation
        }

        clock.Now = s_windowStart.AddSeconds(60); // a new clock minute: a fixed window would start again here
        using (var limited = await WriteAsync(alice))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(60), limited.Headers.RetryAfter?.Delta); // the write at 59 s leaves after 119 s: 59.001 s, rounded up
            var problem = await limited.ProblemAsync(Cancellation);
            Assert.Equal("Too many writes", problem.GetProperty("title").GetString());
            Assert.Equal($"At most {Permits} writes per 60 s per caller; retry after the Retry-After delay.", problem.GetProperty("detail").GetString());
        }

        Assert.Equal(HttpStatusCode.BadRequest, await StatusOfWriteAsync(other)); // another caller has a budget of its own

        clock.Now = s_windowStart.AddSeconds(119); // exactly one window after the first write: it still counts
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusOfWriteAsync(alice));
        clock.Now = s_windowStart.AddSeconds(119.001);
        Assert.Equal(HttpStatusCode.BadRequest, await StatusOfWriteAsync(alice));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusOfWriteAsync(alice)); // 59.5, 59.9 and 119.001 fill it again

        // One record per caller: its id is a hash (no subject stored); it holds the admitted writes of the last
        // window only, and expires a window after the last attempt.
        var logs = await api.Services.GetRequiredService<IMongoCollection<WriteLog>>()
            .Find(FilterDefinition<WriteLog>.Empty).ToListAsync(Cancellation);
        Assert.Equal(2, logs.Count);
        var log = Assert.Single(logs, l => l.Log.Count(at => at > 0) == Permits);
        Assert.Matches("^[0-9a-f]{32}:3/60000$", log.Id);
        Assert.Equal(new[] { 59.5, 59.9, 119.001 }.Select(at => s_windowStart.AddSeconds(at).ToUnixTimeMilliseconds()), log.Log.Order());
        Assert.Equal(s_windowStart.AddSeconds(119.001).Add(s_window).UtcDateTime, log.ExpiresAt.ToUniversalTime());
    }

    [Fact]
    public async Task Arrivals_are_refused_exactly_at_the_limit()
    {
        var clock = new ManualClock(s_windowStart);
        await using var api = CreateApi(clock);
        using var caller = api.CreateWriterClient();
        var random = new Random(20261202);
        var admitted = new List<DateTimeOffset>();
        var wrong = new List<string>();

        for (var i = 0; i < 150; i++)
        {
            clock.Now += TimeSpan.FromMilliseconds(random.Next(0, 40_000));
            var inLastWindow = admitted.Count(at => at >= clock.Now - s_window); // the closed span [now - window, now]
            var status = await StatusOfWriteAsync(caller);
            if (status == HttpStatusCode.BadRequest)
            {
                admitted.Add(clock.Now);
            }

            var expected = inLastWindow < Permits ? HttpStatusCode.BadRequest : HttpStatusCode.TooManyRequests;
            if (status != expected)
            {
                wrong.Add($"at {(clock.Now - s_windowStart).TotalSeconds:0.000} s with {inLastWindow} in the last window: {(int)status}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.InRange(admitted.Count, Permits, 149); // both answers were exercised
    }

    private WebApplicationFactory<BooksApiAssembly> CreateApi(ManualClock clock) =>
        BooksApiHost.Create(
            mongod.NewDatabase(),
            services => services.AddSingleton<TimeProvider>(clock),
            new Dictionary<string, string>
            {
                [RateLimitSettings.WritesPerWindowKey] = Permits.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [RateLimitSettings.WindowSecondsKey] = s_window.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });

    private static Task<HttpResponseMessage> WriteAsync(HttpClient client) =>
        client.PostAsync("/api/books", TestBooks.Json("""{ "title": "" }"""), Cancellation); // refused by validation, after the limit

    [Fact]
    public async Task Callers_without_a_subject_are_counted_by_their_address()
    {
        await using var api = BooksApiHost.Create(
            mongod.NewDatabase(),
            services => services.AddSingleton<TimeProvider>(new ManualClock(s_windowStart)),
            new Dictionary<string, string> { [RateLimitSettings.WritesPerWindowKey] = "1" });
        var port = api.StartOnKestrelPort(); // real connections, so the API sees each client's address
        // A token shape our provider never issues (no subject), signed with its key.
        var claims = BooksApiHost.Identity.WriterClaims("unused");
        claims.Remove("sub");
        var token = BooksApiHost.Identity.Sign(claims);
        using var first = LoopbackClients.From(IPAddress.Parse("127.0.0.1"), port, token);
        using var second = LoopbackClients.From(IPAddress.Parse("127.0.0.2"), port, token); // the same token from another address

        Assert.Equal(HttpStatusCode.BadRequest, await StatusOfWriteAsync(first));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusOfWriteAsync(first));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusOfWriteAsync(second));
    }

    // The order of refusals docs/API.md gives. A content type no write takes is refused first (RFC 9110 15.5.16, 415).
    // A POST's body is bound by the framework before the endpoint's filters run, so a body that cannot be bound (a
    // malformed one 400, one over the size limit 413) is refused before the write limit (RFC 6585 4, 429); field
    // validation comes after it. A PUT or PATCH reads its body in the handler (so that 404 and 412 come before 400,
    // RFC 9110 13.2.1), after the limit.
    [Fact]
    public async Task Unbindable_post_is_refused_before_the_write_limit()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), settings: new Dictionary<string, string> { [RateLimitSettings.WritesPerWindowKey] = "1" });
        api.StartOnKestrel(); // Kestrel enforces the body size limit (the test server cannot)
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation); // the one write of the window

        async Task<HttpStatusCode> StatusAsync(HttpRequestMessage request)
        {
            using (request)
            using (var response = await client.SendAsync(request, Cancellation))
            {
                return response.StatusCode;
            }
        }

        HttpRequestMessage Post(HttpContent content) => new(HttpMethod.Post, "/api/books") { Content = content };
        HttpRequestMessage Put(HttpContent content) => new(HttpMethod.Put, $"/api/books/{book.Id()}") { Content = content };
        const string Malformed = "{ \"isbn\": ";
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await StatusAsync(Post(TestBooks.Json("{}", "text/plain"))));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(Post(TestBooks.Json(Malformed))));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await StatusAsync(Post(TestBooks.Json("{ \"title\": \"" + new string('x', 70_000) + "\" }"))));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(Post(TestBooks.Json("{ \"title\": \"\" }")))); // bound, not yet validated
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(Put(TestBooks.Json(Malformed))));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await StatusAsync(Put(TestBooks.Json("{}", "text/plain")))); // routing refuses it: the endpoint declares what it accepts
    }

    private static async Task<HttpStatusCode> StatusOfWriteAsync(HttpClient client)
    {
        using var response = await WriteAsync(client);
        return response.StatusCode;
    }
}
