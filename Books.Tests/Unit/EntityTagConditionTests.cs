using Books.Api.Http;
using Microsoft.Extensions.Primitives;

namespace Books.Tests.Unit;

/// <summary>
/// If-Match and If-None-Match field values against the grammar and comparison rules of RFC 9110, written from
/// the RFC: 13.1.1 and 13.1.2 (<c>"*" / #entity-tag</c>), 8.8.3 (<c>entity-tag = [ weak ] opaque-tag</c>,
/// <c>weak = %s"W/"</c>, <c>opaque-tag = DQUOTE *etagc DQUOTE</c>, <c>etagc = %x21 / %x23-7E / obs-text</c>),
/// 8.8.3.2 (strong and weak comparison of opaque tags as character strings), 5.6.1 (lists, empty elements) and
/// 5.3 (several field lines are one list). The current representation's tag is <c>"1"</c>.
/// </summary>
public sealed class EntityTagConditionTests
{
    public enum Field { Valid, Invalid, Any }

    // value, how the grammar reads it, If-Match true? (strong), If-None-Match matches? (weak)
    public static TheoryData<string, Field, bool, bool> Values => new()
    {
        { "\"1\"", Field.Valid, true, true },
        { "*", Field.Any, true, true },
        { "\"2\", \"1\"", Field.Valid, true, true },              // any listed tag
        { "\"1\",,\"2\"", Field.Valid, true, true },              // 5.6.1: empty list elements are accepted
        { ", \"1\" ,", Field.Valid, true, true },
        { "\"2\"", Field.Valid, false, false },
        { "\"-1\"", Field.Valid, false, false },                  // opaque: not the number -1, nor "any"
        { "\"01\"", Field.Valid, false, false },                  // 8.8.3.2: character-by-character
        { "\"+1\"", Field.Valid, false, false },
        { "W/\"1\"", Field.Valid, false, true },                  // weak: never strongly equal, weakly equal
        { "\"2\", W/\"1\"", Field.Valid, false, true },
        { "\"\"", Field.Valid, false, false },                    // an empty opaque tag is a tag
        { "\"a,b\"", Field.Valid, false, false },                 // a comma is an etagc
        { "\" 1\"", Field.Invalid, false, false },                // SP is not an etagc
        { "\"1 \"", Field.Invalid, false, false },
        { "1", Field.Invalid, false, false },                     // no DQUOTEs
        { "'1'", Field.Invalid, false, false },
        { "\"1", Field.Invalid, false, false },                   // unterminated
        { "w/\"1\"", Field.Invalid, false, false },               // %s"W/" is case-sensitive
        { "W/ \"1\"", Field.Invalid, false, false },
        { "\"1\" \"2\"", Field.Invalid, false, false },           // list members need a comma
        { "\"1\", x", Field.Invalid, false, false },              // one bad member spoils the list
        { "\"1\", *", Field.Invalid, false, false },              // * only as the whole field value
        { "*, \"1\"", Field.Invalid, false, false },
        { "**", Field.Invalid, false, false },
        { "\"1\"\u0001", Field.Invalid, false, false },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Entity_tags_compare_as_strings(string value, Field field, bool ifMatchTrue, bool ifNoneMatchMatches)
    {
        var condition = EntityTagCondition.Read(new StringValues(value))!;

        Assert.Equal(field, condition.IsAny ? Field.Any : condition.IsValid ? Field.Valid : Field.Invalid);
        Assert.Equal(ifMatchTrue, condition.MatchesStrongly(BookETag.For(1)));
        Assert.Equal(ifNoneMatchMatches, condition.MatchesWeakly(BookETag.For(1)));
    }

    [Fact]
    public void No_field_is_no_condition()
    {
        Assert.Null(EntityTagCondition.Read(StringValues.Empty));
    }

    [Fact]
    public void Several_field_lines_are_one_list()
    {
        // RFC 9110 5.3: the lines combine into "2", "1"; and "*" on one line of two is no longer the whole value.
        Assert.True(EntityTagCondition.Read(new StringValues(["\"2\"", "\"1\""]))!.MatchesStrongly("\"1\""));
        Assert.False(EntityTagCondition.Read(new StringValues(["\"2\"", "*"]))!.IsValid);
    }

    [Theory]
    [InlineData("\"7\"", 7L)]
    [InlineData("\"0\"", 0L)]
    [InlineData("\"07\"", null)]
    [InlineData("\"-7\"", null)]
    [InlineData("\"+7\"", null)]
    [InlineData("\"7.0\"", null)]
    [InlineData("\"99999999999999999999\"", null)]
    [InlineData("\"\"", null)]
    public void A_tag_names_a_version_only_in_the_form_the_server_writes(string opaque, long? version)
    {
        Assert.Equal(version, BookETag.VersionOf(new EntityTag(opaque, IsWeak: false)));
    }
}
