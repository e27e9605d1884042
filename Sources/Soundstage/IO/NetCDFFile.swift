import CNetCDF
import Foundation

/// A small writer and reader of netCDF-4 files (Unidata's libnetcdf), the container AES69 (SOFA)
/// files are: named dimensions, double variables over them, text
/// attributes. Every call's status is checked; a failure throws naming the file, the object and
/// libnetcdf's own reason (`nc_strerror`).
final class NetCDFFile {
    let path: String
    private var id: Int32 = -1

    enum Mode { case create, read }

    init(path: String, mode: Mode) throws {
        self.path = path
        var handle: Int32 = 0
        let status = mode == .create ? nc_create(path, ss_nc_netcdf4_clobber(), &handle) : nc_open(path, ss_nc_nowrite(), &handle)
        guard status == NC_NOERR else {
            throw FileError(path: path, reason: (mode == .create ? "cannot create a netCDF-4 file: " : "not a readable netCDF/SOFA file: ") + NetCDFFile.reason(status))
        }
        id = handle
    }

    deinit { if id >= 0 { nc_close(id) } }

    /// Writes everything and closes the file (further calls fail).
    func close() throws {
        let status = nc_close(id)
        id = -1
        try check(status, "closing")
    }

    static func reason(_ status: Int32) -> String { String(cString: nc_strerror(status)) }

    private func check(_ status: Int32, _ what: String) throws {
        guard status == NC_NOERR else { throw FileError(path: path, reason: "netCDF: \(what): \(NetCDFFile.reason(status))") }
    }

    // MARK: Writing (define, then put: netCDF-4 leaves define mode by itself on the first put)

    /// Defines dimension `name` of `length` and returns its id.
    @discardableResult
    func defineDimension(_ name: String, length: Int) throws -> Int32 {
        var dim: Int32 = 0
        try check(nc_def_dim(id, name, length, &dim), "dimension \(name)")
        return dim
    }

    private func dimensionID(_ name: String) throws -> Int32 {
        var dim: Int32 = 0
        try check(nc_inq_dimid(id, name, &dim), "dimension \(name)")
        return dim
    }

    /// Defines a double variable over the named dimensions (row-major, first = slowest) and writes
    /// `values`, stored contiguous and uncompressed: libmysofa, the reader behind most SOFA renderers,
    /// does not read netCDF-4's deflated chunks.
    func writeDoubles(_ name: String, dimensions: [String], _ values: [Double]) throws {
        var dims = try dimensions.map { try dimensionID($0) }
        var lengths = [Int](repeating: 0, count: dims.count)
        for (i, d) in dims.enumerated() { try check(nc_inq_dimlen(id, d, &lengths[i]), "length of \(dimensions[i])") }
        precondition(lengths.reduce(1, *) == values.count, "\(name): \(values.count) values for dimensions \(lengths)")
        var variable: Int32 = 0
        try check(nc_def_var(id, name, nc_type(ss_nc_double()), Int32(dims.count), &dims, &variable), "variable \(name)")
        try check(nc_def_var_chunking(id, variable, NC_CONTIGUOUS, nil), "layout of \(name)")
        try values.withUnsafeBufferPointer { try check(nc_put_var_double(id, variable, $0.baseAddress), "writing \(name)") }
    }

    /// Sets text attribute `name` of `variable` (nil: a global attribute).
    func setText(_ name: String, _ value: String, variable: String? = nil) throws {
        let v = try variable.map { try variableID($0) } ?? Int32(ss_nc_global())
        let bytes = Array(value.utf8)
        try check(nc_put_att_text(id, v, name, bytes.count, bytes.map { CChar(bitPattern: $0) }), "attribute \(variable.map { "\($0):" } ?? "")\(name)")
    }

    // MARK: Reading

    private func variableID(_ name: String) throws -> Int32 {
        var v: Int32 = 0
        try check(nc_inq_varid(id, name, &v), "variable \(name)")
        return v
    }

    /// Length of dimension `name`.
    func dimension(_ name: String) throws -> Int {
        var length = 0
        try check(nc_inq_dimlen(id, try dimensionID(name), &length), "length of \(name)")
        return length
    }

    /// Names of the dimensions variable `name` spans, slowest first.
    func dimensions(of name: String) throws -> [String] {
        let v = try variableID(name)
        var count: Int32 = 0
        try check(nc_inq_varndims(id, v, &count), "dimensions of \(name)")
        var dims = [Int32](repeating: 0, count: Int(count))
        try check(nc_inq_vardimid(id, v, &dims), "dimensions of \(name)")
        return try dims.map { d in
            var buffer = [CChar](repeating: 0, count: Int(NC_MAX_NAME) + 1)
            try check(nc_inq_dimname(id, d, &buffer), "dimension name")
            return String(cString: buffer)
        }
    }

    /// Every value of variable `name`, row-major, converted to double.
    func readDoubles(_ name: String) throws -> [Double] {
        let count = try dimensions(of: name).reduce(1) { $0 * (try dimension($1)) }
        var values = [Double](repeating: 0, count: count)
        try check(nc_get_var_double(id, try variableID(name), &values), "reading \(name)")
        return values
    }

    /// Text attribute `name` of `variable` (nil: global); nil when absent.
    func text(_ name: String, variable: String? = nil) throws -> String? {
        let v = try variable.map { try variableID($0) } ?? Int32(ss_nc_global())
        var length = 0
        guard nc_inq_attlen(id, v, name, &length) == NC_NOERR else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        try check(nc_get_att_text(id, v, name, &buffer), "attribute \(name)")
        return String(cString: buffer)
    }

    /// Names of the global attributes.
    func globalAttributeNames() throws -> [String] {
        var count: Int32 = 0
        try check(nc_inq_natts(id, &count), "attributes")
        return try (0..<count).map { i in
            var buffer = [CChar](repeating: 0, count: Int(NC_MAX_NAME) + 1)
            try check(nc_inq_attname(id, Int32(ss_nc_global()), i, &buffer), "attribute name")
            return String(cString: buffer)
        }
    }
}
