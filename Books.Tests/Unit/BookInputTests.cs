namespace Books.Tests.Unit;

public sealed class BookInputTests
{
    private const int Year = 2026;

    private static BookRequest Valid() => new()
    {
        Isbn = "978-0-262-03384-8",
        Title = "Introduction to Algorithms",
        Authors = ["Thomas H. Cormen"],
    };

    private static Dictionary<string, string[]> ErrorsOf(BookRequest request)
    {
        Assert.Null(BookInput.Validate(request, Year, out var errors));
        return errors;
    }

    [Fact]
    public void Valid_request_is_normalised()
    {
        var fields = BookInput.Validate(Valid() with
        {
            Title = "  Introduction to Algorithms ",
            Authors = [" Thomas H. Cormen ", "Charles E. Leiserson"],
            Publisher = "   ",
            Language = "EN-gb",
            Tags = ["CS", "Algorithms", "cs", " algorithms "],
            Summary = " Line one\nLine two ",
        }, Year, out var errors);

        Assert.Empty(errors);
        Assert.NotNull(fields);
        Assert.Equal("9780262033848", fields.Isbn);
        Assert.Equal("Introduction to Algorithms", fields.Title);
        Assert.Equal(["Thomas H. Cormen", "Charles E. Leiserson"], fields.Authors);
        Assert.Null(fields.Publisher); // blank is missing
        Assert.Equal("en-GB", fields.Language);
        Assert.Equal(["cs", "algorithms"], fields.Tags);
        Assert.Equal("Line one\nLine two", fields.Summary);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \t ")]
    public void Missing_or_blank_title_is_required(string? title) =>
        Assert.Equal(["'title' is required."], ErrorsOf(Valid() with { Title = title })["title"]);

    [Fact]
    public void Title_longer_than_300_is_rejected_but_300_is_accepted()
    {
        Assert.NotNull(BookInput.Validate(Valid() with { Title = new string('a', 300) }, Year, out _));
        Assert.Contains("at most 300", ErrorsOf(Valid() with { Title = new string('a', 301) })["title"][0]);
    }

    [Fact]
    public void Authors_need_one_to_twenty_non_blank_names()
    {
        Assert.Contains("At least one", ErrorsOf(Valid() with { Authors = [] })["authors"][0]);
        Assert.Contains("At least one", ErrorsOf(Valid() with { Authors = null })["authors"][0]);
        Assert.Contains("At most 20", ErrorsOf(Valid() with { Authors = Enumerable.Repeat("A", 21).ToList() })["authors"][0]);
        Assert.True(ErrorsOf(Valid() with { Authors = ["A", " ", "C"] }).ContainsKey("authors[1]"));
        Assert.True(ErrorsOf(Valid() with { Authors = ["A", new string('b', 201)] }).ContainsKey("authors[1]"));
    }

    [Theory]
    [InlineData(1449, false)]
    [InlineData(1450, true)]
    [InlineData(2027, true)] // next year
    [InlineData(2028, false)]
    public void Published_year_runs_from_1450_to_next_year(int year, bool valid) =>
        Assert.Equal(valid, BookInput.Validate(Valid() with { PublishedYear = year }, Year, out _) is not null);

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(100_000, true)]
    [InlineData(100_001, false)]
    public void Page_count_runs_from_1_to_100000(int pages, bool valid) =>
        Assert.Equal(valid, BookInput.Validate(Valid() with { PageCount = pages }, Year, out _) is not null);

    [Fact]
    public void Tags_are_limited()
    {
        Assert.Contains("At most 20", ErrorsOf(Valid() with { Tags = Enumerable.Range(0, 21).Select(i => $"t{i}").ToList() })["tags"][0]);
        Assert.True(ErrorsOf(Valid() with { Tags = [new string('t', 51)] }).ContainsKey("tags[0]"));
        Assert.True(ErrorsOf(Valid() with { Tags = ["ok", ""] }).ContainsKey("tags[1]"));
    }

    [Theory]
    [InlineData("en", "en")]
    [InlineData("pt-br", "pt-BR")]
    [InlineData("ZH-hant-tw", "zh-Hant-TW")]
    [InlineData("es-419", "es-419")]
    [InlineData("CA-es-VALENCIA", "ca-ES-valencia")] // a variant stays lower case
    public void Language_tags_are_normalised(string tag, string expected) =>
        Assert.Equal(expected, BookInput.Validate(Valid() with { Language = tag }, Year, out _)!.Language);

    [Theory]
    [InlineData("english")]
    [InlineData("e")]
    [InlineData("en_US")]
    [InlineData("en-")]
    public void Malformed_language_tags_are_rejected(string tag) =>
        Assert.True(ErrorsOf(Valid() with { Language = tag }).ContainsKey("language"));

    [Theory]
    [InlineData("Title\u0000with NUL")]
    [InlineData("Bell\u0007")]
    [InlineData("Line\nbreak")]
    [InlineData("C1\u0085control")]
    public void Control_characters_are_rejected_in_single_line_text(string title) =>
        Assert.Contains("control characters", ErrorsOf(Valid() with { Title = title })["title"][0]);

    [Fact]
    public void Unpaired_surrogate_is_rejected()
    {
        Assert.Contains("surrogate", ErrorsOf(Valid() with { Title = "broken \ud800 text" })["title"][0]);
        Assert.NotNull(BookInput.Validate(Valid() with { Title = "emoji 📚 ok" }, Year, out _));
    }

    [Fact]
    public void Summary_allows_line_breaks_up_to_5000_characters()
    {
        Assert.NotNull(BookInput.Validate(Valid() with { Summary = "a\r\n\tb" }, Year, out _));
        Assert.True(ErrorsOf(Valid() with { Summary = new string('s', 5001) }).ContainsKey("summary"));
    }

    private static IReadOnlyList<BookFieldChange>? Patch(string json, out Dictionary<string, string[]> errors)
    {
        using var document = JsonDocument.Parse(json);
        return BookInput.ValidatePatch(document.RootElement, Year, out errors);
    }

    [Fact]
    public void Patch_sets_and_removes_fields()
    {
        var changes = Patch("""{ "title": " New title ", "publishedYear": null, "tags": ["A", "a"], "language": "FR" }""", out var errors);

        Assert.Empty(errors);
        Assert.Equal(
            [new BookFieldChange("title", "New title"), new BookFieldChange("publishedYear", null), new BookFieldChange("language", "fr")],
            changes!.Where(c => c.Element != "tags"));
        Assert.Equal(["a"], (IEnumerable<string>)changes!.Single(c => c.Element == "tags").Value!);
    }

    [Theory]
    [InlineData("""{ "title": null }""", "title", "cannot be removed")]
    [InlineData("""{ "isbn": null }""", "isbn", "cannot be removed")]
    [InlineData("""{ "version": 9 }""", "version", "set by the server")]
    [InlineData("""{ "id": "x" }""", "id", "set by the server")]
    [InlineData("""{ "colour": "red" }""", "colour", "not a field")]
    [InlineData("""{ "title": 5 }""", "title", "must be a string")]
    [InlineData("""{ "pageCount": "ten" }""", "pageCount", "whole number")]
    [InlineData("""{ "pageCount": 1.5 }""", "pageCount", "whole number")]
    [InlineData("""{ "authors": "one" }""", "authors", "array of strings")]
    [InlineData("""{ "authors": [1] }""", "authors", "array of strings")]
    [InlineData("""{ "authors": ["Ann", 1] }""", "authors", "array of strings")]
    [InlineData("""{ "isbn": "123" }""", "isbn", "10 or 13 digits")]
    [InlineData("""{ "title": { "$gt": "" } }""", "title", "must be a string")]
    [InlineData("""{}""", "$", "changes nothing")]
    [InlineData("""[]""", "$", "JSON object")]
    public void Patch_rejects_what_it_cannot_apply(string json, string field, string reason)
    {
        Assert.Null(Patch(json, out var errors));
        Assert.Contains(reason, Assert.Contains(field, errors)[0]);
    }

    [Fact]
    public void Patch_sets_each_field()
    {
        var changes = Patch("""{ "publishedYear": 1999, "tags": null, "summary": " Two\nlines " }""", out var errors);

        Assert.Empty(errors);
        Assert.Equal(1999, changes!.Single(c => c.Element == "publishedYear").Value);
        Assert.Empty((IEnumerable<string>)changes!.Single(c => c.Element == "tags").Value!);
        Assert.Equal("Two\nlines", changes!.Single(c => c.Element == "summary").Value);
    }

    [Theory]
    [InlineData('\u202A', "U+202A")] // first of the embedding and override controls
    [InlineData('\u202E', "U+202E")]
    [InlineData('\u2066', "U+2066")] // first of the isolates
    [InlineData('\u2069', "U+2069")]
    public void Bidirectional_controls_are_named_by_code_point(char control, string named) =>
        Assert.Equal($"contains an invisible or reserved character ({named})", BookInput.FindUnacceptableCharacter($"a{control}b", allowLineBreaks: false));

    [Fact]
    public void Year_out_of_range_is_refused()
    {
        Assert.Equal([$"'publishedYear' is between {BookInput.MinYear} and {Year + 1} ({Year + 2} given)."], ErrorsOf(Valid() with { PublishedYear = Year + 2 })["publishedYear"]);
    }

    [Fact]
    public void Page_count_out_of_range_is_refused() =>
        Assert.Equal([$"'pageCount' is between 1 and {BookInput.MaxPageCount} (0 given)."], ErrorsOf(Valid() with { PageCount = 0 })["pageCount"]);

    [Fact]
    public void A_malformed_language_tag_is_named_with_examples() =>
        Assert.Equal(["'english' is not a BCP 47 language tag (for example en, en-GB, pt-BR, zh-Hant-TW)."], ErrorsOf(Valid() with { Language = "english" })["language"]);

    [Fact]
    public void Language_tag_with_a_line_break_is_refused() =>
        Assert.Contains("control characters", Assert.Single(ErrorsOf(Valid() with { Language = "en\nGB" })["language"]));

    [Fact]
    public void Patch_removes_the_page_count_with_null()
    {
        var changes = Patch("""{ "pageCount": null }""", out var errors);

        Assert.Empty(errors);
        Assert.Equal([new BookFieldChange("pageCount", null)], changes);
    }

    // A merge patch names fields by their JSON names (the contract) and is applied with $set on stored elements: every
    // field a request may send maps to the element of the stored Book's property of the same name.
    [Fact]
    public void Request_fields_map_to_stored_elements()
    {
        var json = System.Text.Json.JsonSerializerOptions.Web.PropertyNamingPolicy!;
        var classMap = MongoDB.Bson.Serialization.BsonClassMap.LookupClassMap(typeof(Book));
        var requestFields = typeof(BookRequest).GetProperties().ToDictionary(property => json.ConvertName(property.Name), property => property.Name);

        Assert.Equal(requestFields.Keys.Order(), BookInput.ElementOf.Keys.Order());
        Assert.All(requestFields, field => Assert.Equal(classMap.GetMemberMap(field.Value).ElementName, BookInput.ElementOf[field.Key]));
    }
}
