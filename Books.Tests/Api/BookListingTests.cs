using System.Collections.Concurrent;

namespace Books.Tests.Api;

/// <summary>
/// GET /api/books: filters, sorts, keyset pages; and the shipped sample set. In process, against the
/// stand-in: quick enough for the mutation run (tools/mutation) to use. Each test lists only the
/// books it made (a tag of its own), so the tests share one books-api.
/// </summary>
[Collection(SecondMongodStandInCollection.Name)]
public sealed class BookListingTests(InProcessBooksApi api) : IClassFixture<InProcessBooksApi>, IDisposable
{
    private readonly HttpClient _api = api.CreateWriterClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public void Dispose() => _api.Dispose();

    private async Task<JsonElement> ListAsync(string query)
    {
        using var response = await _api.GetAsync($"/api/books?{query}", Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancellation));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
    }

    private static List<string> Titles(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("title").GetString()!).ToList();

    /// <summary>Follows nextCursor to the end; returns every id seen, in order. Every page holds at most the
    /// page size asked for, and exactly that many when another page follows.</summary>
    private async Task<List<string>> WalkAsync(string query, Func<int, Task>? betweenPages = null)
    {
        var limit = System.Web.HttpUtility.ParseQueryString(query)["limit"] is { } asked ? int.Parse(asked, System.Globalization.CultureInfo.InvariantCulture) : 20;
        var ids = new List<string>();
        string? cursor = null;
        for (var page = 0; page < 1000; page++)
        {
            var result = await ListAsync(cursor is null ? query : $"{query}&cursor={cursor}");
            var items = result.GetProperty("items").EnumerateArray().Select(b => b.Id()).ToList();
            ids.AddRange(items);
            cursor = result.GetProperty("nextCursor").GetString();
            Assert.InRange(items.Count, cursor is null ? 0 : limit, limit);
            if (cursor is null)
            {
                return ids;
            }

            if (betweenPages is not null)
            {
                await betweenPages(page);
            }
        }

        throw new InvalidOperationException("The walk never ended.");
    }

    [Fact]
    public async Task Filters_combine()
    {
        var tag = TestBooks.NewTag();
        await _api.CreateAsync(TestBooks.Body(title: "Alpha Centauri", tag: tag, year: 1990, author: "Ann Writer"), Cancellation);
        await _api.CreateAsync(TestBooks.Body(title: "Beta Reader", tag: tag, year: 2000, author: "Bob Writer"), Cancellation);
        await _api.CreateAsync(TestBooks.Body(title: "Gamma (C++) Notes", tag: tag, year: 2010, author: "Ann Writer"), Cancellation);

        Assert.Equal(["Alpha Centauri", "Beta Reader", "Gamma (C++) Notes"], Titles(await ListAsync($"tag={tag.ToUpperInvariant()}")));
        Assert.Equal(["Alpha Centauri", "Gamma (C++) Notes"], Titles(await ListAsync($"tag={tag}&author=ann%20WRITER")));
        Assert.Equal(["Beta Reader", "Gamma (C++) Notes"], Titles(await ListAsync($"tag={tag}&yearFrom=1995")));
        Assert.Equal(["Beta Reader"], Titles(await ListAsync($"tag={tag}&yearFrom=1995&yearTo=2005")));
    }

    // The search as docs/API.md states it: words normalised (accents and case dropped, split at anything not a
    // letter or digit), each search word the prefix of a title word or an author word, all of them required,
    // words shorter than 2 characters left out.
    [Theory]
    [InlineData("READ", "Beta Reader")]                        // a prefix, any case
    [InlineData("eader", "")]                                  // not the start of a word
    [InlineData("ann", "Alpha Centauri|Gamma (C++) Notes")]    // an author's word
    [InlineData("writ bet", "Beta Reader")]                    // every word, title or author
    [InlineData("gamma alpha", "")]
    [InlineData("(c++) notes", "Gamma (C++) Notes")]           // pattern characters are not patterns; "c" is too short
    [InlineData("uber CAFE", "Über Café")]                     // accents dropped on both sides
    [InlineData("gödel", "Über Café")]                         // an author with an accent, searched with it
    public async Task Q_finds_books_by_word_prefixes(string q, string expected)
    {
        var tag = TestBooks.NewTag();
        await _api.CreateAsync(TestBooks.Body(title: "Alpha Centauri", tag: tag, author: "Ann Writer"), Cancellation);
        await _api.CreateAsync(TestBooks.Body(title: "Beta Reader", tag: tag, author: "Bob Writer"), Cancellation);
        await _api.CreateAsync(TestBooks.Body(title: "Gamma (C++) Notes", tag: tag, author: "Ann Writer"), Cancellation);
        await _api.CreateAsync(TestBooks.Body(title: "Über Café", tag: tag, author: "Kurt Godel"), Cancellation);

        Assert.Equal(expected.Split('|', StringSplitOptions.RemoveEmptyEntries), Titles(await ListAsync($"tag={tag}&q={Uri.EscapeDataString(q)}")));
    }

    // Search, the author filter and the title sort fold text alike: Unicode NFKD with its combining marks dropped, and
    // the letters NFKD leaves whole (Unicode gives them no decomposition) folded as CLDR's Latin-ASCII transform does.
    [Theory]
    [InlineData("q=soren", "Enten Eller")]                     // ø
    [InlineData("q=lodz", "Łódź Nights")]                      // Ł, and ó, ź by NFKD
    [InlineData("q=strasse", "Die Straße")]                    // ß
    [InlineData("q=aesir", "Æsir Sagas")]                      // Æ
    [InlineData("q=dord", "Đorđe's Notes")]                    // Đ, đ
    [InlineData("author=emile%20zola", "Germinal")]            // the whole name, accents and case ignored
    [InlineData("author=S%C3%98REN%20KIERKEGAARD", "Enten Eller")]
    public async Task Search_and_author_fold_letters(string query, string expected)
    {
        var tag = TestBooks.NewTag();
        await _api.CreateAsync(TestBooks.Body(title: "Enten Eller", tag: tag, author: "Søren Kierkegaard"), Cancellation);
        await _api.CreateAsync(TestBooks.Body(title: "Łódź Nights", tag: tag), Cancellation);
        await _api.CreateAsync(TestBooks.Body(title: "Die Straße", tag: tag), Cancellation);
        await _api.CreateAsync(TestBooks.Body(title: "Æsir Sagas", tag: tag), Cancellation);
        await _api.CreateAsync(TestBooks.Body(title: "Đorđe's Notes", tag: tag), Cancellation);
        await _api.CreateAsync(TestBooks.Body(title: "Germinal", tag: tag, author: "Émile Zola"), Cancellation);

        Assert.Equal([expected], Titles(await ListAsync($"tag={tag}&{query}")));
    }

    [Fact]
    public async Task Accented_initial_sorts_with_its_letter()
    {
        var tag = TestBooks.NewTag();
        foreach (var title in new[] { "Zola's Paris", "Émile", "Fables", "Eden", "Øresund" })
        {
            await _api.CreateAsync(TestBooks.Body(title: title, tag: tag), Cancellation);
        }

        Assert.Equal(["Eden", "Émile", "Fables", "Øresund", "Zola's Paris"], Titles(await ListAsync($"tag={tag}&sort=title")));
    }

    [Theory]
    [InlineData(".*")]
    [InlineData("a b c")]
    [InlineData("one two three four five six seven eight nine")]
    public async Task Q_without_a_word_to_search_or_with_too_many_is_400(string q)
    {
        var errors = await ListingErrorsAsync($"q={Uri.EscapeDataString(q)}");

        Assert.True(errors.ContainsKey("q"), string.Join("; ", errors.Keys));
    }

    [Fact]
    public async Task Sorts_have_a_stable_tiebreak()
    {
        var tag = TestBooks.NewTag();
        var created = new List<JsonElement>();
        foreach (var (title, year) in new[] { ("b", 2001), ("A", 2003), ("c", 2002), ("a", 2003) })
        {
            created.Add(await _api.CreateAsync(TestBooks.Body(title: title, tag: tag, year: year), Cancellation));
        }

        var idsByCreation = created.Select(b => b.Id()).ToList();
        var a = created[1].Id();
        var a2 = created[3].Id();
        var (firstA, secondA) = string.CompareOrdinal(a, a2) < 0 ? ("A", "a") : ("a", "A");

        Assert.Equal([firstA, secondA, "b", "c"], Titles(await ListAsync($"tag={tag}&sort=title")));
        Assert.Equal(["c", "b", secondA, firstA], Titles(await ListAsync($"tag={tag}&sort=-title")));
        Assert.Equal(["b", "c", firstA, secondA], Titles(await ListAsync($"tag={tag}&sort=publishedYear")));
        Assert.Equal(idsByCreation, (await ListAsync($"tag={tag}&sort=createdAt")).GetProperty("items").EnumerateArray().Select(b => b.Id()));
        Assert.Equal(Enumerable.Reverse(idsByCreation), (await ListAsync($"tag={tag}&sort=-createdAt")).GetProperty("items").EnumerateArray().Select(b => b.Id()));
    }

    [Theory]
    [InlineData("title")]
    [InlineData("-publishedYear")]
    [InlineData("createdAt")]
    public async Task Paging_with_the_cursor_returns_every_book_once_in_order(string sort)
    {
        var tag = TestBooks.NewTag();
        for (var i = 0; i < 7; i++)
        {
            await _api.CreateAsync(TestBooks.Body(title: $"Book {i % 3}", tag: tag, year: 2000 + i % 2), Cancellation);
        }

        var all = (await ListAsync($"tag={tag}&sort={sort}&limit=100")).GetProperty("items").EnumerateArray().Select(b => b.Id()).ToList();
        var walked = await WalkAsync($"tag={tag}&sort={sort}&limit=2");

        Assert.Equal(7, all.Count);
        Assert.Equal(all, walked);
    }

    [Fact]
    public async Task Walk_sees_each_surviving_book_once()
    {
        var tag = TestBooks.NewTag();
        var original = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            original.Add((await _api.CreateAsync(TestBooks.Body(title: $"Walk {i:D2}", tag: tag), Cancellation)).Id());
        }

        // Between pages, other clients insert books before and after the cursor and delete some originals.
        var deleted = new ConcurrentBag<string>();
        var walked = await WalkAsync($"tag={tag}&sort=title&limit=3", async page =>
        {
            await Task.WhenAll(
                _api.CreateAsync(TestBooks.Body(title: $"Walk 00 early {page}", tag: tag), Cancellation),
                _api.CreateAsync(TestBooks.Body(title: $"Walk 99 late {page}", tag: tag), Cancellation),
                page < 6 ? DeleteAsync(original[11 - page]) : Task.CompletedTask);
        });

        Assert.Equal(walked.Count, walked.Distinct().Count()); // nobody twice
        var survivors = original.Except(deleted).ToList();
        Assert.All(survivors, id => Assert.Contains(id, walked)); // every book present throughout is seen
        Assert.NotEmpty(deleted);

        async Task DeleteAsync(string id)
        {
            using var response = await _api.DeleteAsync($"/api/books/{id}", Cancellation);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            deleted.Add(id);
        }
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=-5", "limit")]
    [InlineData("sort=rating", "sort")]
    [InlineData("yearFrom=2010&yearTo=2000", "yearFrom")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    public async Task Invalid_query_returns_validation_problem(string query, string field)
    {
        using var response = await _api.GetAsync($"/api/books?{query}", Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ProblemAsync(Cancellation)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData("limit=abc")]
    [InlineData("yearFrom=%7B%22%24gt%22%3A1%7D")]
    [InlineData("limit=99999999999")]
    public async Task Unparseable_query_value_returns_400_problem(string query)
    {
        using var response = await _api.GetAsync($"/api/books?{query}", Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await response.ProblemAsync(Cancellation);
    }

    [Fact]
    public async Task Cursor_from_another_query_is_rejected()
    {
        var tag = TestBooks.NewTag();
        for (var i = 0; i < 3; i++)
        {
            await _api.CreateAsync(TestBooks.Body(tag: tag), Cancellation);
        }

        var cursor = (await ListAsync($"tag={tag}&limit=1")).GetProperty("nextCursor").GetString();

        using var response = await _api.GetAsync($"/api/books?tag={tag}&sort=-title&limit=1&cursor={cursor}", Cancellation);
        using var otherFilter = await _api.GetAsync($"/api/books?tag={TestBooks.NewTag()}&limit=1&cursor={cursor}", Cancellation); // same sort

        foreach (var refused in new[] { response, otherFilter })
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("different query", (await refused.ProblemAsync(Cancellation)).GetProperty("errors").GetProperty("cursor")[0].GetString());
        }
    }

    [Fact]
    public async Task Forged_cursor_is_refused()
    {
        var tag = TestBooks.NewTag();
        // Well-formed and bound to this very query, but its key is a number where the title sort keeps text.
        var forged = System.Buffers.Text.Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new
        {
            s = "title", k = 5, i = "0123456789abcdef01234567", q = BookCursor.HashQuery("title", null, tag, null, null, null),
        }));

        foreach (var cursor in new[] { "not-a-cursor", forged })
        {
            var errors = await ListingErrorsAsync($"tag={tag}&cursor={cursor}");
            Assert.Equal(["The cursor is not one this API issued."], errors["cursor"]);
        }
    }

    [Fact]
    public async Task Each_invalid_parameter_is_named_with_what_is_allowed()
    {
        var errors = await ListingErrorsAsync($"limit=0&sort=bogus&yearFrom=2001&yearTo=2000&q={new string('q', BookListing.MaxFilterLength + 1)}&colour=red");

        Assert.Equal([$"'limit' is between 1 and {BookListing.MaxPageSize} (0 given)."], errors["limit"]);
        Assert.Equal(["'sort' is one of title, -title, publishedYear, -publishedYear, createdAt, -createdAt."], errors["sort"]);
        Assert.Equal(["'yearFrom' is after 'yearTo'."], errors["yearFrom"]);
        Assert.Equal([$"'q' is at most {BookListing.MaxFilterLength} characters long."], errors["q"]);
        Assert.StartsWith("'colour' is not a parameter of this listing (author, tag, yearFrom, yearTo, q, sort, limit, cursor", errors["colour"][0]);
        Assert.Equal(["'tag' is given more than once."], (await ListingErrorsAsync("tag=a&tag=b"))["tag"]);
        foreach (var name in new[] { "author", "tag" })
        {
            Assert.Equal([$"'{name}' is at most {BookListing.MaxFilterLength} characters long."],
                (await ListingErrorsAsync($"{name}={new string('x', BookListing.MaxFilterLength + 1)}"))[name]);
        }

        // The bounds themselves are allowed.
        await ListAsync($"q={new string('q', BookListing.MaxFilterLength)}&yearFrom=2000&yearTo=2000&limit={BookListing.MaxPageSize}");
    }

    [Fact]
    public async Task Filter_with_a_line_break_is_refused()
    {
        foreach (var name in new[] { "author", "tag", "q" })
        {
            Assert.Equal([$"'{name}' contains control characters."], (await ListingErrorsAsync($"{name}=a%0Ab"))[name]);
        }
    }

    private async Task<Dictionary<string, string[]>> ListingErrorsAsync(string query)
    {
        using var response = await _api.GetAsync($"/api/books?{query}", Cancellation);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return (await response.ProblemAsync(Cancellation)).GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }

    [Fact]
    public async Task Pages_hold_at_most_the_limit()
    {
        var tag = TestBooks.NewTag();
        for (var i = 0; i < 22; i++)
        {
            await _api.CreateAsync(TestBooks.Body(tag: tag), Cancellation);
        }

        var page = await ListAsync($"tag={tag}");

        Assert.Equal(20, page.GetProperty("items").GetArrayLength());
        Assert.NotNull(page.GetProperty("nextCursor").GetString());
    }

    [Fact]
    public async Task Sample_set_seeds_idempotently()
    {
        var samples = BookSamples.Load();
        Assert.True(samples.Count >= 100, $"only {samples.Count} samples");

        using var admin = api.CreateAdminClient();
        using var first = await admin.PostAsync("/api/admin/books/seed", content: null, Cancellation);
        using var second = await admin.PostAsync("/api/admin/books/seed", content: null, Cancellation);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var again = await second.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(0, again.GetProperty("inserted").GetInt32());
        Assert.Equal(samples.Count, again.GetProperty("alreadyPresent").GetInt32());

        foreach (var sample in samples)
        {
            var book = await _api.GetFromJsonAsync<JsonElement>($"/api/books/by-isbn/{sample.Isbn}", Cancellation);
            Assert.Equal(sample.Title, book.GetProperty("title").GetString());
            Assert.Equal(sample.Authors, book.GetProperty("authors").EnumerateArray().Select(a => a.GetString()));
            Assert.Equal(sample.PublishedYear, book.GetProperty("publishedYear").GetInt32());
        }

        var fantasy = await WalkAsync("tag=fantasy&sort=publishedYear&limit=7");
        Assert.Equal(samples.Count(s => s.Tags!.Contains("fantasy")), fantasy.Count);
    }
}
