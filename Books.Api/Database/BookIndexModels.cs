using Books.Api.Books;
using MongoDB.Driver;

namespace Books.Api.Database;

/// <summary>
/// The indexes of the <c>books</c> collection: the unique ISBN index, and one per listing shape, keys in equality,
/// sort, range order (ESR): each sort (key, then _id, the keyset cursor's order) alone, where no longer index starts
/// with the same keys (an index serves every prefix of its keys: title_id_year serves sort=title alone too); after
/// an author or a tag (multikey equality); followed by the year for a year range under another sort; the search
/// words, whose anchored prefixes bound a scan on their own; and the words' version, which the backfill looks for.
/// The shape each serves is listed in DEPLOYMENT.md and held by BookQueryShapeTests.
/// </summary>
public static class BookIndexModels
{
    public const string IsbnIndexName = "isbn_unique";
    public const string ListingIndexesName = "listing indexes";

    /// <summary>The index the search-words backfill finds outdated books by (<see cref="BookWordsBackfill"/>).</summary>
    public const string WordsVersionIndexName = "words_version";

    public static CreateIndexModel<Book> IsbnIndex { get; } =
        new(Builders<Book>.IndexKeys.Ascending(b => b.Isbn), new CreateIndexOptions { Name = IsbnIndexName, Unique = true });

    /// <summary>Every index of <c>books</c>, the unique ISBN index first.</summary>
    public static IReadOnlyList<CreateIndexModel<Book>> Models { get; } =
    [
        IsbnIndex,
        Index("year_id", BookElements.YearKey, BookElements.Id),
        Index("authors_title_id", BookElements.AuthorKeys, BookElements.TitleKey, BookElements.Id),
        Index("authors_year_id", BookElements.AuthorKeys, BookElements.YearKey, BookElements.Id),
        Index("authors_created_id", BookElements.AuthorKeys, BookElements.CreatedAt, BookElements.Id),
        Index("tags_title_id", BookElements.Tags, BookElements.TitleKey, BookElements.Id),
        Index("tags_year_id", BookElements.Tags, BookElements.YearKey, BookElements.Id),
        Index("tags_created_id", BookElements.Tags, BookElements.CreatedAt, BookElements.Id),
        Index("title_id_year", BookElements.TitleKey, BookElements.Id, BookElements.YearKey),
        Index("created_id_year", BookElements.CreatedAt, BookElements.Id, BookElements.YearKey),
        Index("title_words", BookElements.TitleWords),
        Index("author_words", BookElements.AuthorWords),
        Index(WordsVersionIndexName, BookElements.WordsVersion),
    ];

    /// <summary>
    /// <c>Books:Indexes:CommitQuorum</c> as the driver takes it: none (the server's default, every voting member),
    /// majority, votingMembers, a number, or a tag.
    /// </summary>
    public static CreateIndexCommitQuorum? CommitQuorum(string? setting) => setting switch
    {
        null or "" => null,
        "majority" => CreateIndexCommitQuorum.Majority,
        "votingMembers" => CreateIndexCommitQuorum.VotingMembers,
        _ when int.TryParse(setting, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var members) =>
            CreateIndexCommitQuorum.Create(members),
        _ => CreateIndexCommitQuorum.Create(setting),
    };

    private static CreateIndexModel<Book> Index(string name, params string[] fields) =>
        new(Builders<Book>.IndexKeys.Combine(fields.Select(field => Builders<Book>.IndexKeys.Ascending(field))), new CreateIndexOptions { Name = name });
}
