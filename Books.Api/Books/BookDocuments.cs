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
            new(BookElements.Isbn, fields.Isbn),
            new(BookElements.Title, fields.Title),
            new(BookElements.Authors, fields.Authors),
            new(BookElements.PublishedYear, fields.PublishedYear),
            new(BookElements.Publisher, fields.Publisher),
            new(BookElements.Language, fields.Language),
            new(BookElements.PageCount, fields.PageCount),
            new(BookElements.Tags, fields.Tags),
            new(BookElements.Summary, fields.Summary),
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
                { Element: BookElements.Isbn, Value: string isbn } => [s_update.Set(b => b.Isbn, isbn)],
                { Element: BookElements.Title, Value: string title } =>
                    [s_update.Set(b => b.Title, title), s_update.Set(b => b.TitleKey, TitleKey(title)), s_update.Set(b => b.TitleWords, BookWords.Of(title))],
                { Element: BookElements.Authors, Value: IReadOnlyList<string> authors } =>
                    [s_update.Set(b => b.Authors, [.. authors]), s_update.Set(b => b.AuthorKeys, AuthorKeys(authors)), s_update.Set(b => b.AuthorWords, BookWords.Of(authors))],
                { Element: BookElements.PublishedYear, Value: int year } => [s_update.Set(b => b.PublishedYear, year), s_update.Set(b => b.YearKey, year)],
                { Element: BookElements.PublishedYear, Value: null } => [s_update.Unset(b => b.PublishedYear), s_update.Set(b => b.YearKey, 0)],
                { Element: BookElements.Tags, Value: IReadOnlyList<string> tags } => [s_update.Set(b => b.Tags, [.. tags])],
                { Element: var element, Value: null } => [s_update.Unset(element)],
                { Element: var element, Value: var value } => [s_update.Set(element, value)],
            });
        }

        // Only a write that makes both word lists vouches for their version; one that makes either keeps the book's.
        if (changes.Any(change => change.Element == BookElements.Title) && changes.Any(change => change.Element == BookElements.Authors))
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
