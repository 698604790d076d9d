using System.Text;

namespace Books.Tests.Unit;

public sealed class BookCursorTests
{
    private static readonly BookSort s_title = BookSort.Parse("title")!;
    private static readonly BookSort s_year = BookSort.Parse("-publishedYear")!;
    private static readonly BookSort s_created = BookSort.Parse("createdAt")!;
    private static readonly ObjectId s_id = ObjectId.Parse("65a1b2c3d4e5f60718293a4b");
    private static readonly string s_hash = BookCursor.HashQuery("title", null, "fantasy", null, null, null);

    [Fact]
    public void Cursor_round_trips_each_kind_of_key()
    {
        foreach (var (sort, key) in new (BookSort, BsonValue)[]
                 {
                     (s_title, "the hobbit"),
                     (s_year, 1937),
                     (s_created, new BsonDateTime(new DateTime(2026, 11, 26, 6, 0, 0, DateTimeKind.Utc))),
                 })
        {
            var text = new BookCursor(sort.Name, key, s_id, s_hash).Encode();

            var decoded = BookCursor.Decode(text, sort, s_hash, out var problem);

            Assert.Null(problem);
            Assert.Equal(new BookCursor(sort.Name, key, s_id, s_hash), decoded);
        }
    }

    [Fact]
    public void Cursor_is_opaque_url_safe_text()
    {
        var text = new BookCursor(s_title.Name, "a/b+c?", s_id, s_hash).Encode();

        Assert.Matches("^[A-Za-z0-9_-]+$", text);
    }

    [Fact]
    public void Cursor_of_another_query_is_rejected()
    {
        var text = new BookCursor(s_title.Name, "x", s_id, s_hash).Encode();

        Assert.Null(BookCursor.Decode(text, s_title, BookCursor.HashQuery("title", null, "sci-fi", null, null, null), out var otherFilter));
        Assert.Contains("different query", otherFilter);
        Assert.Null(BookCursor.Decode(text, BookSort.Parse("-title")!, s_hash, out var otherSort));
        Assert.Contains("different query", otherSort);
    }

    [Fact]
    public void Tampered_cursors_are_rejected()
    {
        var text = new BookCursor(s_title.Name, "the hobbit", s_id, s_hash).Encode();
        var json = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(text));
        string Reencode(string changed) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(changed));

        string[] tampered =
        [
            text[..^2],                                                   // truncated
            text + "!",                                                   // not base64url
            "",                                                           // empty
            new string('A', 2000),                                        // too long
            Reencode(json.Replace("\"the hobbit\"", "1937")),             // key of the wrong type for the sort
            Reencode(json.Replace(s_id.ToString(), "not-an-object-id")),  // bad id
            Reencode(json.Replace("\"k\":", "\"x\":")),                   // missing key
            Reencode("[1,2,3]"),                                          // not an object
            Reencode("{\"k\":{\"$gt\":\"\"},\"s\":\"title\",\"i\":\"65a1b2c3d4e5f60718293a4b\",\"q\":\"" + s_hash + "\"}"), // operator-shaped key
        ];

        Assert.All(tampered, t =>
        {
            Assert.Null(BookCursor.Decode(t, s_title, s_hash, out var problem));
            Assert.NotNull(problem);
        });
    }
}
