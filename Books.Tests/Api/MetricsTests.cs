using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Books.Tests.Api;

[Collection(MongodStandInCollection.Name)]
public sealed class MetricsTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Meter_counts_writes_by_outcome()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var meterFactory = api.Services.GetRequiredService<IMeterFactory>();
        using var created = new MetricCollector<long>(meterFactory, BooksMetrics.MeterName, "books.created");
        using var updated = new MetricCollector<long>(meterFactory, BooksMetrics.MeterName, "books.updated");
        using var deleted = new MetricCollector<long>(meterFactory, BooksMetrics.MeterName, "books.deleted");
        using var failures = new MetricCollector<long>(meterFactory, BooksMetrics.MeterName, "books.write_failures");

        var body = TestBooks.Body();
        var book = await client.CreateAsync(body, Cancellation);                                     // created
        (await client.PostAsJsonAsync("/api/books", body, Cancellation)).Dispose();                    // duplicate_isbn
        (await client.PostAsync("/api/books", TestBooks.Json("{\"title\":\"\"}"), Cancellation)).Dispose(); // invalid
        (await client.PatchAsync($"/api/books/{book.Id()}", TestBooks.Json("""{"pageCount":12}""", "application/merge-patch+json"), Cancellation)).Dispose(); // updated
        (await client.PatchAsync($"/api/books/{book.Id()}", TestBooks.Json("""{"pageCount":-1}""", "application/merge-patch+json"), Cancellation)).Dispose(); // patch:invalid
        (await client.PutAsJsonAsync("/api/books/0123456789abcdef01234567", TestBooks.Body(), Cancellation)).Dispose();   // replace:not_found
        using (var stale = new HttpRequestMessage(HttpMethod.Delete, $"/api/books/{book.Id()}"))
        {
            stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
            (await client.SendAsync(stale, Cancellation)).Dispose();                                   // precondition_failed
        }

        (await client.DeleteAsync($"/api/books/{book.Id()}", Cancellation)).Dispose();                 // deleted
        (await client.DeleteAsync($"/api/books/{book.Id()}", Cancellation)).Dispose();                 // not_found
        (await client.GetAsync($"/api/books/{book.Id()}", Cancellation)).Dispose();                    // a read: not counted

        Assert.Equal(1, created.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(1, updated.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(1, deleted.GetMeasurementSnapshot().Sum(m => m.Value));
        var byReason = failures.GetMeasurementSnapshot()
            .Select(m => $"{m.Tags["operation"]}:{m.Tags["reason"]}")
            .Order();
        Assert.Equal(["create:duplicate_isbn", "create:invalid", "delete:not_found", "delete:precondition_failed", "patch:invalid", "replace:not_found"], byReason);
    }

    [Fact]
    public async Task Meter_counters_are_described()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        var meterFactory = api.Services.GetRequiredService<IMeterFactory>();
        _ = api.Services.GetRequiredService<BooksMetrics>();
        var published = new List<(string Name, string? Unit, string? Description)>();
        using var listener = new MeterListener
        {
            // Only this host's meter: other hosts in the process have meters of the same name.
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == BooksMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
                {
                    published.Add((instrument.Name, instrument.Unit, instrument.Description));
                }
            },
        };
        listener.Start();

        // What the dashboard and any OpenTelemetry backend show for them.
        Assert.Equal(
            [
                ("books.created", "{book}", "Books added."),
                ("books.deleted", "{book}", "Books deleted."),
                ("books.updated", "{book}", "Books replaced or patched."),
                ("books.write_failures", "{failure}", "Writes refused or failed, by operation and reason."),
            ],
            published.Order());
    }

    [Fact]
    public async Task The_books_meter_reaches_the_opentelemetry_pipeline()
    {
        var exported = new ConcurrentQueue<string>();
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), services =>
            services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddReader(new BaseExportingMetricReader(new MetricNames(exported)))));
        using var client = api.CreateWriterClient();

        await client.CreateAsync(TestBooks.Body(), Cancellation);
        Assert.True(api.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000), "the metric reader did not flush");

        // What the dashboard's metrics page (and any OTLP backend) receives from books-api.
        Assert.Contains("books.created", exported);
    }

    private sealed class MetricNames(ConcurrentQueue<string> names) : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch)
        {
            foreach (var metric in batch)
            {
                names.Enqueue(metric.Name);
            }

            return ExportResult.Success;
        }
    }

    [Fact]
    public async Task Seeding_counts_only_the_books_it_inserted()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateAdminClient();
        using var created = new MetricCollector<long>(api.Services.GetRequiredService<IMeterFactory>(), BooksMetrics.MeterName, "books.created");

        (await client.PostAsync("/api/admin/books/seed", null, Cancellation)).EnsureSuccessStatusCode().Dispose();
        (await client.PostAsync("/api/admin/books/seed", null, Cancellation)).EnsureSuccessStatusCode().Dispose();

        Assert.Equal(BookSamples.Load().Count, created.GetMeasurementSnapshot().Sum(m => m.Value));
    }

    [Fact]
    public async Task Racing_seeds_insert_each_sample_once()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        var clients = Enumerable.Range(0, 4).Select(_ => api.CreateAdminClient()).ToList();

        var responses = await Task.WhenAll(clients.Select(c => c.PostAsync("/api/admin/books/seed", null, Cancellation)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var inserted = 0;
        foreach (var response in responses)
        {
            inserted += (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Cancellation)).GetProperty("inserted").GetInt32();
            response.Dispose();
        }

        Assert.Equal(BookSamples.Load().Count, inserted);
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Seed_that_loses_the_race_succeeds()
    {
        var connectionString = mongod.NewDatabase();
        var database = MongoUrl.Create(connectionString).DatabaseName;
        await using var api = BooksApiHost.Create(connectionString);
        using var client = api.CreateAdminClient();
        var samples = BookSamples.Load();
        const int WonByTheOtherSeed = 3;
        for (var i = 0; i < WonByTheOtherSeed; i++)
        {
            (await client.PostAsJsonAsync("/api/books", samples[i], JsonSerializerOptions.Web, Cancellation)).EnsureSuccessStatusCode().Dispose();
        }

        // This seed's upserts match nothing, as when they ran before the other seed's inserts committed; the
        // unique ISBN index then refuses the three inserts with duplicate-key errors, beside the other upserts.
        var failPoint = new BsonDocument("namespace", $"{database}.books");
        var before = await mongod.ConfigureFailPointAsync("upsertMissesConcurrentInsert", new BsonDocument("times", 1), failPoint, Cancellation);
        using var response = await client.PostAsync("/api/admin/books/seed", null, Cancellation);
        var after = await mongod.ConfigureFailPointAsync("upsertMissesConcurrentInsert", "off", failPoint, Cancellation);

        Assert.Equal(1, after - before); // the seed's bulk write did meet the duplicate keys
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<SeedResult>(JsonSerializerOptions.Web, Cancellation);
        Assert.Equal(new SeedResult(Inserted: samples.Count - WonByTheOtherSeed, AlreadyPresent: WonByTheOtherSeed), result);
        using var direct = new MongoClient(connectionString);
        var stored = await direct.GetDatabase(database).GetCollection<BsonDocument>("books")
            .Find(FilterDefinition<BsonDocument>.Empty).ToListAsync(Cancellation);
        Assert.Equal(samples.Select(s => s.Isbn).Order(), stored.Select(b => b["isbn"].AsString).Order()); // the sample set holds ISBN-13 digits, as stored
    }
}
