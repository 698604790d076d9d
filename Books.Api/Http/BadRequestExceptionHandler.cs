using System.Text.Json;
using Books.Api.Books;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Books.Api.Http;

/// <summary>
/// Turns request-binding failures (malformed JSON, unknown fields, wrong types, bodies too large,
/// wrong content types) into ProblemDetails that say what was wrong, instead of an empty 400.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        // 413 and 415 get their sentence from BooksProblems.Explain, like the ones the framework writes itself.
        var (title, detail) = badRequest switch
        {
            { InnerException: JsonException json } => (ProblemKinds.MalformedBody.Title, DescribeJson(json)),
            { StatusCode: StatusCodes.Status400BadRequest } => (null, badRequest.Message),
            _ => ((string?)null, (string?)null),
        };
        context.Response.StatusCode = badRequest.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = badRequest.StatusCode, Title = title, Detail = detail },
        });
    }

    /// <summary>What was wrong with a JSON body, in the client's terms (field names, not .NET types).</summary>
    internal static string DescribeJson(JsonException json)
    {
        var field = json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : json.Path;
        if (json.Message.Contains("could not be mapped", StringComparison.Ordinal) && field is not null)
        {
            return BookInput.ServerOwnedFields.Contains(field)
                ? $"'{field}' is set by the server and cannot be sent."
                : $"'{field}' is not a field of a book.";
        }

        if (json.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) && field is not null)
        {
            return $"'{field}' has the wrong type.";
        }

        if (json.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
        {
            return $"The body names '{field}' more than once.";
        }

        return $"The body is not valid JSON (line {json.LineNumber + 1}, position {json.BytePositionInLine + 1}).";
    }
}
