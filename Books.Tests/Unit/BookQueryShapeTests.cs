using Books.Api.Database;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using MongoDB.Bson.Serialization;

namespace Books.Tests.Unit;

/// <summary>
/// Each listing shape (one filter, one sort) and the index that bounds its scan, written by hand from the MongoDB
/// manual's equality-sort-range rule (ESR: equality keys first, then the sort keys, then range keys), its index-prefix
/// rule (an index serves queries on any prefix of its keys, so an index that is a prefix of another only costs) and
/// its multikey and anchored-regex rules (a prefix regex on an indexed array is a bounded range of that index). The
/// stand-in has no explain, so the test holds the index definitions and the listing's own filter and sort to the
/// table: an index must start with the expected keys, must be led by the filter's equality field and carry the sort's
/// keys in order, and every field the filter names must be in it.
/// </summary>
public sealed class BookQueryShapeTests
{
    public static TheoryData<string, string, string> Shapes => new()
    {
        // query string, sort, the expected index's keys
        { "", "title", "titleKey, _id" },                                   // a prefix of titleKey, _id, yearKey
        { "", "-publishedYear", "yearKey, _id" },
        { "", "createdAt", "createdAt, _id" },                              // a prefix of createdAt, _id, yearKey
        { "author=Ann", "title", "authorKeys, titleKey, _id" },
        { "author=Ann", "publishedYear", "authorKeys, yearKey, _id" },
        { "author=Ann", "-createdAt", "authorKeys, createdAt, _id" },
        { "tag=sf", "-title", "tags, titleKey, _id" },
        { "tag=sf", "publishedYear", "tags, yearKey, _id" },
        { "tag=sf", "createdAt", "tags, createdAt, _id" },
        { "yearFrom=1990&yearTo=2000", "publishedYear", "yearKey, _id" },   // the range is the sort key itself
        { "yearTo=2000", "title", "titleKey, _id, yearKey" },
        { "yearFrom=1990", "-createdAt", "createdAt, _id, yearKey" },
        { "q=dune", "title", "titleWords | authorWords" },                   // each word: a prefix range on either array
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_listing_shape_has_an_index_that_bounds_it(string query, string sort, string expected)
    {
        var listing = Parse($"{query}&sort={sort}");
        var indexes = BookIndexModels.Models.Select(model => Fields(model.Keys.Render(Args()))).ToList();
        var filterFields = FieldsIn(listing.Filter.Render(Args())).ToHashSet();
        var sortFields = Fields(listing.Order.Render(Args()));

        foreach (var alternative in expected.Split(" | "))
        {
            var keys = alternative.Split(", ");
            Assert.Contains(indexes, index => index.Take(keys.Length).SequenceEqual(keys)); // an index starts with these keys, in this order
        }

        if (!expected.Contains(" | ", StringComparison.Ordinal))
        {
            // ESR: an equality field (multikey author or tag) leads, the sort's keys follow in order, a range comes last.
            var keys = expected.Split(", ");
            var equality = filterFields.Intersect(["authorKeys", "tags"]).ToArray();
            Assert.Equal(equality, keys[..equality.Length]);
            Assert.Equal(sortFields, keys[equality.Length..(equality.Length + sortFields.Length)]);
        }

        var indexed = expected.Split(" | ").SelectMany(alternative => alternative.Split(", ")).ToHashSet();
        Assert.Subset(indexed, filterFields); // the filter names no field the index cannot bound or check
    }

    /// <summary>What each index is for: the shapes above that it serves, or the other reader it has.</summary>
    public static TheoryData<string, string> IndexUses => new()
    {
        { BookIndexModels.IsbnIndexName, "uniqueness of the ISBN; GET /api/books/by-isbn/{isbn}" },
        { "year_id", "sort=publishedYear; yearFrom/yearTo under it" },
        { "authors_title_id", "author= under sort=title" },
        { "authors_year_id", "author= under sort=publishedYear" },
        { "authors_created_id", "author= under sort=createdAt" },
        { "tags_title_id", "tag= under sort=title" },
        { "tags_year_id", "tag= under sort=publishedYear" },
        { "tags_created_id", "tag= under sort=createdAt" },
        { "title_id_year", "sort=title (its prefix); yearTo/yearFrom under it" },
        { "created_id_year", "sort=createdAt (its prefix); yearTo/yearFrom under it" },
        { "title_words", "q= (title words)" },
        { "author_words", "q= (author words)" },
        { BookIndexModels.WordsVersionIndexName, "the search-words backfill: books whose words are outdated" },
    };

    [Fact]
    public void No_index_is_a_prefix_of_another()
    {
        var names = BookIndexModels.Models.Select(model => model.Options.Name).ToList();
        var keys = BookIndexModels.Models.Select(model => Fields(model.Keys.Render(Args()))).ToList();

        Assert.Equal(IndexUses.Select(row => row.Data.Item1).Order(), names.Order());
        for (var i = 0; i < keys.Count; i++)
        {
            for (var j = 0; j < keys.Count; j++)
            {
                Assert.False(i != j && keys[j].Take(keys[i].Length).SequenceEqual(keys[i]), $"{names[i]} is a prefix of {names[j]}");
            }
        }
    }

    // The backfill's batch finds outdated books by their words' version alone, which an index leads with: each batch
    // is an index range as long as the books still to do, and once every book is current, an empty range.
    [Fact]
    public void Backfill_uses_the_words_version_index()
    {
        var filterFields = FieldsIn(BookWordsBackfill.Outdated.Render(Args())).ToHashSet();
        var index = BookIndexModels.Models.Single(model => model.Options.Name == BookIndexModels.WordsVersionIndexName);

        Assert.Equal(["wordsVersion"], filterFields);
        Assert.Equal("wordsVersion", Fields(index.Keys.Render(Args()))[0]);
    }

    [Fact]
    public void Unknown_years_are_outside_every_range()
    {
        // yearKey is 0 for an unknown year: a yearTo alone still starts at the earliest year a book can have.
        var filter = Parse("yearTo=2000").Filter.Render(Args());

        Assert.Contains($"\"$gte\" : {BookInput.MinYear}", filter.ToString());
    }

    // MongoDB manual, "Change a Document's Shard Key Value": the update's filter must have an equality on the full
    // shard key, and it must run as a retryable write or in a transaction. Sharded on { isbn: 1 } (DEPLOYMENT.md,
    // Sharding), a write that sets the ISBN names the current one, and the version it read it at.
    [Fact]
    public void Isbn_write_filter_names_the_current_shard_key()
    {
        var id = MongoDB.Bson.ObjectId.GenerateNewId();
        var allowed = Builders<Book>.Filter.Eq("_id", id) & Builders<Book>.Filter.In("version", new[] { 3L, 4L });

        var filter = BooksApi.IsbnWriteFilter(allowed, "9780306406157", 4).Render(Args());

        var clauses = filter.Contains("$and") ? filter["$and"].AsBsonArray.Select(c => c.AsBsonDocument).ToList() : [filter];
        Assert.Contains(clauses, c => c.Contains("isbn") && c["isbn"] == "9780306406157"); // an equality, not a range or $in
        Assert.Contains(clauses, c => c.Contains("_id") && c["_id"] == id);
        Assert.Contains(clauses, c => c.Contains("version") && c["version"] == 4L);
    }

    private static BookListing Parse(string queryString)
    {
        var parameters = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(queryString);
        string? Value(string name) => parameters.TryGetValue(name, out var value) ? value.ToString() : null;
        int? Number(string name) => Value(name) is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;
        var query = new BookListQuery(Value("author"), Value("tag"), Number("yearFrom"), Number("yearTo"), Value("q"), Value("sort"), null, null);
        return BookListing.Parse(query, new QueryCollection(parameters.ToDictionary(p => p.Key, p => (StringValues)p.Value)), out var errors)
            ?? throw new InvalidOperationException(string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(' ', e.Value)}")));
    }

    private static RenderArgs<Book> Args() => new(BsonSerializer.LookupSerializer<Book>(), BsonSerializer.SerializerRegistry);

    private static string[] Fields(BsonDocument keys) => [.. keys.Names];

    /// <summary>Every field a filter names, through $and, $or and $elemMatch.</summary>
    private static IEnumerable<string> FieldsIn(BsonDocument filter) =>
        filter.Elements.SelectMany(element => element.Name switch
        {
            "$and" or "$or" or "$nor" => element.Value.AsBsonArray.SelectMany(clause => FieldsIn(clause.AsBsonDocument)),
            _ => [element.Name],
        }).Distinct();
}
