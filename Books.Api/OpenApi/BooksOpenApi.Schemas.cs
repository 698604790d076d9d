using System.Globalization;
using Books.Api.Books;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Books.Api.OpenApi;

/// <summary>The schema transformer: every field rule of a book as schema keywords, from the constants the validator enforces.</summary>
public static partial class BooksOpenApi
{
    private static Task DescribeSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (type == typeof(BookRequest) || type == typeof(BookPatchRequest))
        {
            DescribeBookFields(schema, patch: type == typeof(BookPatchRequest));
        }
        else if (type == typeof(BookResponse))
        {
            Property(schema, "id").Pattern = ObjectIdPattern;
            Property(schema, "isbn").Pattern = Isbn.Isbn13Pattern;
            Property(schema, "version").Minimum = "1";
        }
        else if (type == typeof(Microsoft.AspNetCore.Mvc.ProblemDetails) || type == typeof(HttpValidationProblemDetails))
        {
            // The server always sets these three (RFC 9457 makes them optional), and the trace of the request.
            schema.Required = new HashSet<string> { "type", "title", "status" };
            foreach (var name in schema.Required)
            {
                Property(schema, name).Type &= ~JsonSchemaType.Null;
            }

            schema.Properties!["traceId"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The W3C trace context of the request, to find it in traces and logs.",
            };
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// A book's field rules as schema keywords. Required fields are never null; optional ones may be null
    /// (or, in a merge patch, null to remove them). Text is trimmed and blank counts as missing, so the
    /// published lengths are those of the trimmed text.
    /// </summary>
    private static void DescribeBookFields(OpenApiSchema schema, bool patch)
    {
        schema.Description =
            "Text is trimmed, and blank counts as missing. Control characters (but line breaks in summary), unpaired " +
            "surrogates and invisible formatting characters are refused. Server-owned fields " +
            $"({string.Join(", ", BookInput.ServerOwnedFields.Where(field => !field.StartsWith('_')))}) and unknown fields are refused." + (patch ? " Fields left out stay as they are; optional fields given as null are removed." : "");
        foreach (var (name, description) in s_fieldDescriptions)
        {
            Property(schema, name).Description = description;
        }

        var isbn = Property(schema, "isbn");
        isbn.Type = JsonSchemaType.String;
        isbn.Pattern = Isbn.Pattern;

        RequiredText(Property(schema, "title"), BookInput.MaxTitleLength);

        var authors = Property(schema, "authors");
        authors.Type = JsonSchemaType.Array;
        (authors.MinItems, authors.MaxItems) = (1, BookInput.MaxAuthors);
        RequiredText(Items(authors), BookInput.MaxAuthorLength);

        var year = Property(schema, "publishedYear");
        year.Minimum = Number(BookInput.MinYear);
        year.Description = $"From {BookInput.MinYear} to next year (the upper bound moves each January, so it is checked but not published as a keyword).";

        Property(schema, "publisher").MaxLength = BookInput.MaxPublisherLength;

        var language = Property(schema, "language");
        (language.MaxLength, language.Pattern) = (BookInput.MaxLanguageLength, BookInput.LanguageTagPattern);

        var pageCount = Property(schema, "pageCount");
        (pageCount.Minimum, pageCount.Maximum) = ("1", Number(BookInput.MaxPageCount));

        var tags = Property(schema, "tags");
        tags.MaxItems = BookInput.MaxTags;
        RequiredText(Items(tags), BookInput.MaxTagLength);

        Property(schema, "summary").MaxLength = BookInput.MaxSummaryLength;

        if (patch)
        {
            schema.Required = null;
            schema.MinProperties = 1;
        }
    }

    private static readonly Dictionary<string, string> s_fieldDescriptions = new()
    {
        ["isbn"] = "ISBN-10 or ISBN-13, hyphens and spaces allowed, with a valid check digit. Stored and returned as ISBN-13 digits; unique.",
        ["title"] = "The title.",
        ["authors"] = "Author names, in credit order.",
        ["publisher"] = "The publisher.",
        ["language"] = "A BCP 47 language tag, such as en or pt-BR; returned in conventional case.",
        ["pageCount"] = "Number of pages.",
        ["tags"] = "Free-form tags; stored lower-case without duplicates.",
        ["summary"] = "A summary; line breaks are allowed.",
    };

    private static void RequiredText(OpenApiSchema text, int maxLength)
    {
        text.Type = JsonSchemaType.String;
        (text.MinLength, text.MaxLength, text.Pattern) = (1, maxLength, NotBlankPattern);
    }

    private static OpenApiSchema Property(OpenApiSchema schema, string name) =>
        schema.Properties?.TryGetValue(name, out var property) == true && property is OpenApiSchema concrete
            ? concrete
            : throw new InvalidOperationException($"The schema has no property '{name}' to describe.");

    private static OpenApiSchema Items(OpenApiSchema array) =>
        array.Items as OpenApiSchema ?? throw new InvalidOperationException("The array schema has no items to describe.");

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
