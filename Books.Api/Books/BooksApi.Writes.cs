using Books.Api.Database;
using Books.Api.Limits;
using System.ComponentModel;
using System.Net.Mime;
using System.Text.Json;
using Books.Api.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>The write handlers: each a single conditional write, and the answers when it matches nothing.</summary>
public static partial class BooksApi
{
    // Duplicates are allowed by the parser and refused by ValidatePatch, which names the field (JsonBodyProblem).
    private static readonly JsonDocumentOptions s_patchOptions = new() { MaxDepth = 32, AllowDuplicateProperties = true };

    public static async Task<Results<Created<BookResponse>, ValidationProblem, ProblemHttpResult>> CreateBook(
        BookRequest request,
        HttpContext context,
        IMongoCollection<Book> books,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var now = BookDocuments.Now(clock);
        if (BookInput.Validate(request, now.Year, out var errors) is not { } fields)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var book = BookDocuments.Create(fields, now);
        try
        {
            await books.InsertOneAsync(book, cancellationToken: cancellationToken);
        }
        catch (MongoException ex) when (DuplicateKey.Is(ex))
        {
            return BooksProblems.DuplicateIsbn(fields.Isbn);
        }

        context.Response.Headers.ETag = BookETag.For(book.Version);
        return TypedResults.Created($"/api/books/{book.Id}", BookResponse.From(book));
    }

    public static async Task<Results<Ok<BookResponse>, ValidationProblem, ProblemHttpResult>> ReplaceBook(
        [Description("The book's id (24 hex digits).")] string id,
        HttpContext context,
        IMongoCollection<Book> books,
        BookQueryLimits limits,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!context.Request.HasJsonContentType())
        {
            return BooksProblems.UnsupportedMediaType($"PUT takes a book as JSON: send Content-Type: {MediaTypeNames.Application.Json}.");
        }

        // The body is read here rather than bound, so that a missing book (404) and a failed precondition (412)
        // are answered before an invalid body (400), as RFC 9110 13.2.1 orders them.
        var preconditions = BookPreconditions.Read(context.Request);
        var now = BookDocuments.Now(clock);
        BookRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<BookRequest>(context.Request.Body, json.Value.SerializerOptions, cancellationToken);
        }
        catch (JsonException ex)
        {
            var problem = await JsonBodyProblem.DescribeAsync(context.Request, cancellationToken) ?? JsonBodyProblem.Syntax(ex);
            return await RefuseBodyAsync(id, preconditions, BooksProblems.MalformedBody(problem), books, limits, cancellationToken);
        }

        if (request is null)
        {
            return await RefuseBodyAsync(id, preconditions, BooksProblems.MalformedBody("The body is null; PUT takes a book, a JSON object."), books, limits, cancellationToken);
        }

        if (BookInput.Validate(request, now.Year, out var errors) is not { } fields)
        {
            return await RefuseBodyAsync(id, preconditions, TypedResults.ValidationProblem(errors), books, limits, cancellationToken);
        }

        return await UpdateAsync(id, preconditions, BookDocuments.Replace(fields, now), fields.Isbn, context, books, limits, cancellationToken);
    }

    public static async Task<Results<Ok<BookResponse>, ValidationProblem, ProblemHttpResult>> PatchBook(
        [Description("The book's id (24 hex digits).")] string id,
        HttpContext context,
        IMongoCollection<Book> books,
        BookQueryLimits limits,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!IsMergePatch(context.Request.ContentType))
        {
            return BooksProblems.UnsupportedMediaType($"PATCH takes a JSON merge patch: send Content-Type: {MergePatchMediaType}.");
        }

        var preconditions = BookPreconditions.Read(context.Request);
        JsonDocument patch;
        try
        {
            patch = await JsonDocument.ParseAsync(context.Request.Body, s_patchOptions, cancellationToken);
        }
        catch (JsonException ex)
        {
            return await RefuseBodyAsync(id, preconditions, BooksProblems.MalformedBody(JsonBodyProblem.Syntax(ex)), books, limits, cancellationToken);
        }

        using (patch)
        {
            if (BookInput.DuplicateField(patch.RootElement) is { } duplicate)
            {
                return await RefuseBodyAsync(id, preconditions, BooksProblems.MalformedBody(duplicate), books, limits, cancellationToken);
            }

            var now = BookDocuments.Now(clock);
            if (BookInput.ValidatePatch(patch.RootElement, now.Year, out var errors) is not { } changes)
            {
                return await RefuseBodyAsync(id, preconditions, TypedResults.ValidationProblem(errors), books, limits, cancellationToken);
            }

            var isbn = changes.FirstOrDefault(c => c.Element == BookElements.Isbn)?.Value as string;
            return await UpdateAsync(id, preconditions, BookDocuments.Patch(changes, now), isbn, context, books, limits, cancellationToken);
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteBook(
        [Description("The book's id (24 hex digits).")] string id,
        HttpContext context,
        IMongoCollection<Book> books,
        BookQueryLimits limits,
        CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(id, out var objectId))
        {
            return BooksProblems.BookNotFound(id);
        }

        // findAndModify rather than delete: it carries maxTimeMS, which the driver's delete does not take.
        var preconditions = BookPreconditions.Read(context.Request);
        var deleted = await books.FindOneAndDeleteAsync(ById(objectId) & preconditions.VersionFilter(), limits.DeleteOptions, cancellationToken);
        return deleted is not null
            ? TypedResults.NoContent()
            : await NotFoundOrStaleAsync(id, objectId, preconditions, books, limits, cancellationToken);
    }

}
