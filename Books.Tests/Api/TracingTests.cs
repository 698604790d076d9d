using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Books.Tests.Api;

/// <summary>Spans from the API's own OpenTelemetry pipeline, captured by an in-memory exporter.</summary>
[Collection(MongodStandInCollection.Name)]
public sealed class TracingTests(MongodStandInFixture mongod)
{
    [Fact]
    public async Task Request_span_has_mongodb_children_without_query_text()
    {
        var ended = new SpanCapture();
        var trace = ActivityTraceId.CreateRandom();
        string token;
        await using (var api = BooksApiHost.Create(mongod.NewDatabase(), services =>
            services.AddOpenTelemetry().WithTracing(tracing => tracing.AddProcessor(ended))))
        {
            token = await BooksApiHost.Identity.Tokens.WriterTokenAsync(TestContext.Current.CancellationToken);
            using var client = api.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
            var book = await client.CreateAsync(TestBooks.Body(), TestContext.Current.CancellationToken);
            ended.Clear();

            var serverEnded = ended.WhenEnded(span => span.Kind == ActivityKind.Server && span.TraceId == trace);
            using var response = await client.SendAsync(Traced($"/api/books/{book.Id()}", trace), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            // The client has the response before the server has finished the request: hosting ends the server span after
            // the response's completion callbacks, and disposing the host first would end it with no listener left.
            await serverEnded.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }

        var exported = ended.Drain();

        // Listeners are process-wide: spans of books-apis that other collections run at the same time are here too.
        var server = Assert.Single(exported, a => a.Kind == ActivityKind.Server && a.TraceId == trace && a.DisplayName.Contains("/api/books/{id}"));
        var mongoSpans = exported.Where(a => a.Source.Name == "MongoDB.Driver" && a.TraceId == server.TraceId).ToList();
        Assert.NotEmpty(mongoSpans);
        Assert.All(mongoSpans, span => Assert.True(DescendsFrom(span, server, exported), $"{span.DisplayName} is not under the server span"));

        // The driver follows the current database semantic conventions: an operation span, and under it
        // one span per command sent to a server.
        var operation = Assert.Single(mongoSpans, s => Equals(s.GetTagItem("db.operation.name"), "find"));
        var command = Assert.Single(mongoSpans, s => Equals(s.GetTagItem("db.command.name"), "find"));
        Assert.Equal(operation.SpanId, command.ParentSpanId);
        Assert.Equal("books", operation.GetTagItem("db.collection.name"));
        Assert.Equal("127.0.0.1", command.GetTagItem("server.address"));
        Assert.Equal(mongod.Port, Convert.ToInt32(command.GetTagItem("server.port")));
        // Nothing secret in any span: not the bearer token, not a connection string.
        Assert.All(exported, span => Assert.DoesNotContain(span.TagObjects, tag => tag.Value?.ToString()?.Contains(token, StringComparison.Ordinal) == true));
        Assert.All(mongoSpans, span =>
        {
            Assert.Equal("mongodb", span.GetTagItem("db.system.name"));
            Assert.Null(span.GetTagItem("db.query.text"));
            Assert.DoesNotContain(span.TagObjects, tag => tag.Value?.ToString()?.Contains("mongodb://", StringComparison.Ordinal) == true);
        });
    }

    [Fact]
    public async Task Health_probes_make_no_mongodb_spans()
    {
        var ended = new SpanCapture();
        // As the AppHost runs books-api: every span sampled, whatever its parent (the filtered probe's) says.
        await using var api = BooksApiHost.Create(
            mongod.NewDatabase(),
            services => services.AddOpenTelemetry().WithTracing(tracing => tracing.AddProcessor(ended)),
            new Dictionary<string, string> { ["OTEL_TRACES_SAMPLER"] = "always_on" });
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), TestContext.Current.CancellationToken);
        ended.Clear();

        var probeTraces = new HashSet<ActivityTraceId>();
        for (var i = 0; i < 3; i++)
        {
            // As the AppHost's probe arrives: with the trace context of its own (sampled) health-check span.
            var probeTrace = ActivityTraceId.CreateRandom();
            probeTraces.Add(probeTrace);
            using var health = await client.SendAsync(Traced("/health", probeTrace), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode); // so the MongoDB.Driver check did ping
        }

        // Only the spans of these requests' traces: background work (index builds) and other collections' books-apis
        // make spans of their own meanwhile, which listeners see process-wide.
        var duringProbes = ended.Drain().Where(span => probeTraces.Contains(span.TraceId)).ToList();
        var readTrace = ActivityTraceId.CreateRandom();
        using var read = await client.SendAsync(Traced($"/api/books/{book.Id()}", readTrace), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var duringRead = ended.Drain().Where(span => span.TraceId == readTrace).ToList();

        Assert.True(!duringProbes.Any(span => span.Source.Name == "MongoDB.Driver"), string.Join(" | ", duringProbes.Select(s => $"{s.Source.Name}: {s.DisplayName}")));
        Assert.Contains(duringRead, span => span.Source.Name == "MongoDB.Driver" && Equals(span.GetTagItem("db.operation.name"), "find"));
    }

    /// <summary>A GET that carries a sampled W3C trace context of the given trace, as a traced caller sends it.</summary>
    private static HttpRequestMessage Traced(string path, ActivityTraceId trace)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        return request;
    }

    /// <summary>Spans as they end, from whichever thread ends them.</summary>
    private sealed class SpanCapture : BaseProcessor<Activity>
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<Activity> _ended = new();

        private readonly System.Collections.Concurrent.ConcurrentBag<(Func<Activity, bool> Matches, TaskCompletionSource Ended)> _waiters = [];

        public override void OnEnd(Activity data)
        {
            _ended.Enqueue(data);
            foreach (var waiter in _waiters.Where(waiter => waiter.Matches(data)))
            {
                waiter.Ended.TrySetResult();
            }
        }

        /// <summary>Completes when a span that <paramref name="matches"/> ends (register before the request that makes it).</summary>
        public Task WhenEnded(Func<Activity, bool> matches)
        {
            var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((matches, ended));
            return ended.Task;
        }

        public void Clear() => _ended.Clear();

        public List<Activity> Drain()
        {
            var spans = new List<Activity>();
            while (_ended.TryDequeue(out var span))
            {
                spans.Add(span);
            }

            return spans;
        }
    }

    private static bool DescendsFrom(Activity span, Activity ancestor, List<Activity> all)
    {
        for (var parentId = span.ParentSpanId; parentId != default;)
        {
            if (parentId == ancestor.SpanId)
            {
                return true;
            }

            var parent = all.FirstOrDefault(a => a.SpanId == parentId);
            if (parent is null)
            {
                return false;
            }

            parentId = parent.ParentSpanId;
        }

        return false;
    }
}
