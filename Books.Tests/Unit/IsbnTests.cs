namespace Books.Tests.Unit;

public sealed class IsbnTests
{
    [Theory]
    [InlineData("9780262033848", "9780262033848")]
    [InlineData("978-0-262-03384-8", "9780262033848")]
    [InlineData(" 978 0 262 03384 8 ", "9780262033848")]
    [InlineData("0-262-03384-4", "9780262033848")] // ISBN-10 of the same book
    [InlineData("0262033844", "9780262033848")]
    [InlineData("0-8044-2957-X", "9780804429573")] // X check digit
    [InlineData("080442957x", "9780804429573")]
    [InlineData("979-10-90636-07-1", "9791090636071")] // 979 prefix
    public void Valid_forms_parse_to_isbn13_digits(string text, string expected)
    {
        Assert.Null(Isbn.TryParse(text, out var isbn13));
        Assert.Equal(expected, isbn13);
    }

    [Theory]
    [InlineData("9780262033847", "check digit")]
    [InlineData("0262033845", "check digit")]
    [InlineData("9770262033848", "978 or 979")]
    [InlineData("978026203384", "10 or 13 digits")]
    [InlineData("97802620338481", "10 or 13 digits")]
    [InlineData("X262033844", "Only the last")]
    [InlineData("978026203384X", "digits only")]
    [InlineData("978-0-262-O3384-8", "10 or 13 digits")] // a letter O
    [InlineData("", "required")]
    [InlineData("   ", "required")]
    [InlineData("９７８０２６２０３３８４８", "10 or 13 digits")] // full-width digits are not ASCII digits
    public void Invalid_text_is_rejected_with_the_reason(string text, string reason)
    {
        var problem = Isbn.TryParse(text, out var isbn13);

        Assert.NotNull(problem);
        Assert.Contains(reason, problem);
        Assert.Equal("", isbn13);
    }

    [Theory]
    [InlineData("9780262033848", true)]
    [InlineData("978-0-262-03384-8", true)]
    [InlineData(" 978 0 262 03384 8 ", true)]
    [InlineData("0-8044-2957-X", true)]
    [InlineData("080442957x", true)]
    [InlineData("9780262033847", true)] // the shape is right; the check digit is checked on top
    [InlineData("978026203384", false)]
    [InlineData("97802620338481", false)]
    [InlineData("X262033844", false)]
    [InlineData("978026203384X", false)]
    [InlineData("978-0-262-O3384-8", false)]
    [InlineData("", false)]
    [InlineData("９７８０２６２０３３８４８", false)]
    public void Published_pattern_matches_the_shapes_the_parser_reads(string text, bool shapeIsRight)
    {
        var matches = System.Text.RegularExpressions.Regex.IsMatch(text, Isbn.Pattern);

        Assert.Equal(shapeIsRight, matches);
        if (!matches)
        {
            Assert.NotNull(Isbn.TryParse(text, out _));
        }
    }

    [Fact]
    public void Every_sample_isbn_matches_the_published_patterns()
    {
        Assert.All(BookSamples.Load(), book =>
        {
            Assert.Matches(Isbn.Pattern, book.Isbn!);
            Assert.Null(Isbn.TryParse(book.Isbn, out var isbn13));
            Assert.Matches(Isbn.Isbn13Pattern, isbn13);
        });
    }

    [Fact]
    public void Check_digit_matches_a_known_isbn()
    {
        Assert.Equal('8', Isbn.Isbn13CheckDigit("978026203384"));
        Assert.Equal('7', Isbn.Isbn13CheckDigit("978030640615"));
    }
}
