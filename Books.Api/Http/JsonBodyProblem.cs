using System.Text.Json;
using Books.Api.Books;
using Books.Api.Limits;

namespace Books.Api.Http;

/// <summary>
/// What is wrong with a JSON body a write could not use, found by reading the body itself: its syntax by parsing it,
/// its fields by <see cref="BookInput.DescribeJson"/>. Never by the serializer's message text, which a runtime update
/// or a localized runtime may change.
/// </summary>
public static class JsonBodyProblem
{
    private static readonly JsonDocumentOptions s_lenient = new() { AllowDuplicateProperties = true };

    /// <summary>The problem with <paramref name="body"/>, in the client's terms (field names, not .NET types).</summary>
    public static string Describe(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, s_lenient);
            return BookInput.DescribeJson(document.RootElement) ?? "The body is not a book.";
        }
        catch (JsonException ex)
        {
            return Syntax(ex);
        }
    }

    /// <summary>A body that does not parse: where it stops being JSON.</summary>
    public static string Syntax(JsonException ex) =>
        $"The body is not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}).";

    /// <summary>The request's body again, from the start: the front door buffers the bodies of writes (at most <see cref="BooksLimits.MaxBodyBytes"/>).</summary>
    public static async Task<string?> DescribeAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.Body.CanSeek)
        {
            return null;
        }

        request.Body.Position = 0;
        using var copy = new MemoryStream();
        await request.Body.CopyToAsync(copy, cancellationToken);
        return Describe(copy.GetBuffer().AsMemory(0, (int)copy.Length));
    }
}
