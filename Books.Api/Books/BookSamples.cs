using System.Text.Json;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>
/// The shipped sample set (sample-books.json: real books with their ISBN-13, first-publication year and
/// authors) and an idempotent seeder that loads it through the same validation as the API.
/// </summary>
public static class BookSamples
{
    private const string ResourceName = "Books.Api.Books.sample-books.json";

    private static readonly Lazy<IReadOnlyList<BookRequest>> s_samples = new(Read);

    /// <summary>The sample set, read from the assembly once per process.</summary>
    public static IReadOnlyList<BookRequest> Load() => s_samples.Value;

    private static IReadOnlyList<BookRequest> Read()
    {
        using var stream = typeof(BookSamples).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing.");
        return JsonSerializer.Deserialize<List<BookRequest>>(stream, JsonSerializerOptions.Web)
            ?? throw new InvalidOperationException($"{ResourceName} holds no books.");
    }

    /// <summary>Inserts the books whose ISBN is not stored yet, in one bulk write; existing books are left as they are.</summary>
    public static async Task<SeedResult> SeedAsync(
        IMongoCollection<Book> books, IReadOnlyList<BookRequest> samples, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = BookDocuments.Now(clock);
        var writes = new List<WriteModel<Book>>();
        foreach (var sample in samples)
        {
            var fields = BookInput.Validate(sample, now.Year, out var errors)
                ?? throw new InvalidOperationException($"Sample '{sample.Title}' is invalid: {string.Join("; ", errors.SelectMany(e => e.Value))}");
            var book = BookDocuments.Create(fields, now);
            writes.Add(new UpdateOneModel<Book>(
                Builders<Book>.Filter.Eq(b => b.Isbn, book.Isbn),
                SetOnInsert(book)) { IsUpsert = true });
        }

        BulkWriteResult<Book> result;
        try
        {
            result = await books.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = false }, cancellationToken);
        }
        catch (MongoBulkWriteException<Book> ex)
            when (ex.WriteConcernError is null && ex.WriteErrors.All(e => e.Category == ServerErrorCategory.DuplicateKey))
        {
            // Two seeds racing: the other one inserted those books first, which is the outcome wanted. (A write-concern
            // error, with no write error at all, is not that: it goes on to the 503 handler.)
            result = ex.Result;
        }

        return new SeedResult(Inserted: result.Upserts.Count, AlreadyPresent: samples.Count - result.Upserts.Count);
    }

    private static UpdateDefinition<Book> SetOnInsert(Book book) =>
        Builders<Book>.Update.Combine(book.ToBsonDocument().Elements.Select(e => Builders<Book>.Update.SetOnInsert(e.Name, e.Value)));
}

public sealed record SeedResult(int Inserted, int AlreadyPresent);
