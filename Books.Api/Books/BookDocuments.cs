using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>Maps validated fields onto the stored document and onto single-round-trip updates.</summary>
public static class BookDocuments
{
    private static readonly UpdateDefinitionBuilder<Book> s_update = Builders<Book>.Update;

    public static Book Create(BookFields fields, DateTime now) => new()
    {
        Id = MongoDB.Bson.ObjectId.GenerateNewId(),
        Isbn = fields.Isbn,
        Title = fields.Title,
        TitleKey = TitleKey(fields.Title),
        TitleWords = BookWords.Of(fields.Title),
        Authors = [.. fields.Authors],
        AuthorKeys = AuthorKeys(fields.Authors),
        AuthorWords = BookWords.Of(fields.Authors),
        WordsVersion = BookWords.Version,
        PublishedYear = fields.PublishedYear,
        YearKey = fields.PublishedYear ?? 0,
        Publisher = fields.Publisher,
        Language = fields.Language,
        PageCount = fields.PageCount,
        Tags = [.. fields.Tags],
        Summary = fields.Summary,
        CreatedAt = now,
        UpdatedAt = now,
        Version = 1,
    };

    /// <summary>A full replacement (PUT) as one update, so createdAt survives without a read first.</summary>
    public static UpdateDefinition<Book> Replace(BookFields fields, DateTime now)
    {
        List<BookFieldChange> changes =
        [
            new("isbn", fields.Isbn),
            new("title", fields.Title),
            new("authors", fields.Authors),
            new("publishedYear", fields.PublishedYear),
            new("publisher", fields.Publisher),
            new("language", fields.Language),
            new("pageCount", fields.PageCount),
            new("tags", fields.Tags),
            new("summary", fields.Summary),
        ];
        return Patch(changes, now);
    }

    /// <summary>A merge patch as one update: set what is given, unset what is null, bump version and updatedAt.</summary>
    public static UpdateDefinition<Book> Patch(IReadOnlyList<BookFieldChange> changes, DateTime now)
    {
        var updates = new List<UpdateDefinition<Book>>
        {
            s_update.Set(b => b.UpdatedAt, now),
            s_update.Inc(b => b.Version, 1),
        };

        foreach (var change in changes)
        {
            updates.AddRange(change switch
            {
                { Field: "isbn", Value: string isbn } => [s_update.Set(b => b.Isbn, isbn)],
                { Field: "title", Value: string title } =>
                    [s_update.Set(b => b.Title, title), s_update.Set(b => b.TitleKey, TitleKey(title)), s_update.Set(b => b.TitleWords, BookWords.Of(title))],
                { Field: "authors", Value: IReadOnlyList<string> authors } =>
                    [s_update.Set(b => b.Authors, [.. authors]), s_update.Set(b => b.AuthorKeys, AuthorKeys(authors)), s_update.Set(b => b.AuthorWords, BookWords.Of(authors))],
                { Field: "publishedYear", Value: int year } => [s_update.Set(b => b.PublishedYear, year), s_update.Set(b => b.YearKey, year)],
                { Field: "publishedYear", Value: null } => [s_update.Unset(b => b.PublishedYear), s_update.Set(b => b.YearKey, 0)],
                { Field: "tags", Value: IReadOnlyList<string> tags } => [s_update.Set(b => b.Tags, [.. tags])],
                { Field: var field, Value: null } => [s_update.Unset(field)],
                { Field: var field, Value: var value } => [s_update.Set(field, value)],
            });
        }

        // Only a write that makes both word lists vouches for their version; one that makes either keeps the book's.
        if (changes.Any(change => change.Field == "title") && changes.Any(change => change.Field == "authors"))
        {
            updates.Add(s_update.Set(b => b.WordsVersion, BookWords.Version));
        }

        return s_update.Combine(updates);
    }

    /// <summary>The current time as BSON stores it (milliseconds), so responses show exactly what was stored.</summary>
    public static DateTime Now(TimeProvider clock)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
    }

    /// <summary>The title as sorting compares it: folded as the search words are (<see cref="BookWords.Fold"/>).</summary>
    public static string TitleKey(string title) => BookWords.Fold(title);

    /// <summary>An author as <c>?author=</c> matches it, the whole name: trimmed and folded (<see cref="BookWords.Fold"/>).</summary>
    public static string AuthorKey(string author) => BookWords.Fold(author.Trim());

    public static string[] AuthorKeys(IEnumerable<string> authors) => [.. authors.Select(AuthorKey).Distinct()];
}
