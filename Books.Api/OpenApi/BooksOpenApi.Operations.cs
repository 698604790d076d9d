using Books.Settings;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Books.Api.Books;
using Books.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Books.Api.OpenApi;

/// <summary>The parts of each operation the framework cannot infer: parameter patterns and examples, headers, response examples.</summary>
public static partial class BooksOpenApi
{
    private static void DescribeParameters(OpenApiOperation operation)
    {
        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>())
        {
            if (parameter.Schema is not OpenApiSchema schema)
            {
                continue;
            }

            switch (parameter.In, parameter.Name)
            {
                case (ParameterLocation.Path, "id"):
                    schema.Pattern = ObjectIdPattern;
                    parameter.Example = BooksOpenApiExamples.BookId;
                    break;
                case (ParameterLocation.Path, "isbn"):
                    schema.Pattern = Isbn.Pattern;
                    parameter.Example = BooksOpenApiExamples.Request.Isbn;
                    break;
                case (ParameterLocation.Query, "sort"):
                    schema.Enum = [.. BookSort.Names.Select(name => (JsonNode)name)];
                    schema.Default = BookSort.Default.Name;
                    break;
                case (ParameterLocation.Query, "limit"):
                    (schema.Minimum, schema.Maximum, schema.Default) = ("1", Number(BookListing.MaxPageSize), BookListing.DefaultPageSize);
                    break;
                case (ParameterLocation.Query, "author" or "tag" or "q"):
                    schema.MaxLength = BookListing.MaxFilterLength;
                    break;
            }
        }

        var method = operation.OperationId;
        if (method is nameof(BooksApi.ReplaceBook) or nameof(BooksApi.PatchBook) or nameof(BooksApi.DeleteBook))
        {
            AddHeaderParameter(operation, "If-Match",
                "Only if the book is still at one of these versions: the ETag of an earlier read (or *). Otherwise 412, and nothing changes.");
        }
        else if (method is nameof(BooksApi.GetBook))
        {
            AddHeaderParameter(operation, "If-None-Match", "Answer 304 with no body if the book is still at one of these versions.");
        }
    }

    private static void AddHeaderParameter(OpenApiOperation operation, string name, string description)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = name,
            In = ParameterLocation.Header,
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            Example = "\"1\"",
        });
    }

    private static void DescribeResponse(string? operationId, string status, OpenApiResponse response)
    {
        var bookOperation = operationId is nameof(BooksApi.GetBook) or nameof(BooksApi.GetBookByIsbn)
            or nameof(BooksApi.CreateBook) or nameof(BooksApi.ReplaceBook) or nameof(BooksApi.PatchBook);
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        switch (status)
        {
            case "200" or "201" or "304" when bookOperation:
                response.Headers["ETag"] = Header("The book's version as a strong entity tag, for If-Match and If-None-Match.", "\"1\"");
                break;
            case "429" or "503":
                response.Headers["Retry-After"] = Header("Seconds to wait before retrying.", "5", JsonSchemaType.Integer);
                break;
        }

        if (status == "201")
        {
            response.Headers["Location"] = Header("The new book's address.", $"/api/books/{BooksOpenApiExamples.BookId}");
        }

        var readOperation = operationId is nameof(BooksApi.ListBooks) or nameof(BooksApi.GetBook) or nameof(BooksApi.GetBookByIsbn);
        if (response.Content?.TryGetValue(ProblemMediaType, out var problem) == true
            && (operationId == nameof(BooksAdminApi.SeedSampleBooks) && BooksOpenApiExamples.AdminProblems.TryGetValue(status, out var example)
                || readOperation && BooksOpenApiExamples.ReadProblems.TryGetValue(status, out example)
                || BooksOpenApiExamples.Problems.TryGetValue(status, out example)))
        {
            problem.Example = example.DeepClone();
        }
        else if (response.Content?.TryGetValue("application/json", out var json) == true && status is "200" or "201")
        {
            json.Example = (bookOperation ? BooksOpenApiExamples.ResponseJson
                : operationId == nameof(BooksApi.ListBooks) ? BooksOpenApiExamples.PageJson
                : operationId == nameof(BooksAdminApi.SeedSampleBooks) ? BooksOpenApiExamples.SeedJson
                : null)?.DeepClone();
        }

        if (response.Headers.Count == 0)
        {
            response.Headers = null;
        }
    }

    private static OpenApiHeader Header(string description, string example, JsonSchemaType type = JsonSchemaType.String) => new()
    {
        Description = description,
        Required = true, // the server always sends it with this status
        Schema = new OpenApiSchema { Type = type },
        Example = type == JsonSchemaType.Integer ? int.Parse(example, CultureInfo.InvariantCulture) : example,
    };
}
