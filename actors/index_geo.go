package actors

import "math"

// Geometry of nearby queries: distances on the sphere and the latitude /
// longitude grids of the index.

// EarthRadiusKm is the mean earth radius used for distances.
const EarthRadiusKm = 6371.0088

const kmPerDegree = EarthRadiusKm * math.Pi / 180 // ≈ 111.195 km along a meridian

// Grid levels of the nearby index. A query uses the fine grid while it
// touches at most maxFineCells cells (radius up to a few tens of km), else
// the coarse one.
const (
	fineCellDeg   = 0.1
	coarseCellDeg = 1.0
	maxFineCells  = 256
)

type nearKey struct {
	dist  float64
	h     float64 // haversine of dist, to reject candidates before computing dist
	group string
}

func (a nearKey) before(b *nearKey) bool {
	if a.dist != b.dist {
		return a.dist < b.dist
	}
	return a.group < b.group
}

// havH is the haversine of the central angle between two points, given
// their latitudes in degrees with their cosines, and their longitudes.
func havH(lat1, cos1, lat2, cos2, dLngDeg float64) float64 {
	const rad = math.Pi / 180
	s1 := math.Sin((lat2 - lat1) * rad / 2)
	s2 := math.Sin(dLngDeg * rad / 2)
	h := s1*s1 + cos1*cos2*s2*s2
	return min(h, 1)
}

func havKm(h float64) float64 { return 2 * EarthRadiusKm * math.Asin(math.Sqrt(h)) }

// HaversineKm is the great-circle distance between two points in km.
func HaversineKm(lat1, lng1, lat2, lng2 float64) float64 {
	const rad = math.Pi / 180
	return havKm(havH(lat1, math.Cos(lat1*rad), lat2, math.Cos(lat2*rad), lng2-lng1))
}

// ringBound is a lower bound, in km, of the distance from the query point
// to any point in a cell of ring k or beyond (cells whose row or column is
// at least k away from the query's cell qr, qc). Such a point lies outside
// the band of rows qr-k+1..qr+k-1, at least the latitude difference to the
// band's edge away, or outside the band of columns qc-k+1..qc+k-1, at least
// the distance to the meridian at the band's edge away.
func ringBound(lat, lng, cosLat float64, qr, qc, k int, cell float64, nCols int) float64 {
	const rad = math.Pi / 180
	inf := math.Inf(1)
	latB := inf
	if lo := float64(qr-k+1)*cell - 90; lo > -90 {
		latB = (lat - lo) * kmPerDegree
	}
	if hi := float64(qr+k)*cell - 90; hi < 90 {
		latB = min(latB, (hi-lat)*kmPerDegree)
	}
	lngB := inf
	if 2*k-1 < nCols {
		lo, hi := float64(qc-k+1)*cell-180, float64(qc+k)*cell-180
		d := min(lng-lo, hi-lng, 90)
		lngB = EarthRadiusKm * math.Asin(min(cosLat*math.Sin(d*rad), 1))
	}
	return max(min(latB, lngB), 0) * (1 - 1e-12)
}

// cellSpan is the number of grid rows and columns a query box touches.
func cellSpan(latMin, latMax, lng, dLng float64, allLng bool, cell float64) (rows, cols int) {
	rows = rowOf(latMax, cell) - rowOf(latMin, cell) + 1
	nCols := int(math.Round(360 / cell))
	if allLng {
		return rows, nCols
	}
	cols = int(math.Floor((lng+dLng+180)/cell)) - int(math.Floor((lng-dLng+180)/cell)) + 1
	return rows, min(cols, nCols)
}

func rowOf(lat, cell float64) int {
	nRows := int(math.Round(180 / cell))
	r := int(math.Floor((lat + 90) / cell))
	return min(max(r, 0), nRows-1)
}

func cellOf(lat, lng, cell float64) uint64 {
	nCols := int(math.Round(360 / cell))
	c := int(math.Floor((lng + 180) / cell))
	c = min(max(c, 0), nCols-1)
	return uint64(rowOf(lat, cell))<<32 | uint64(c)
}

// normLng maps 180 to -180 (the same meridian).
func normLng(lng float64) float64 {
	if lng >= 180 {
		return lng - 360
	}
	return lng
}

func validPoint(lat, lng float64) bool {
	return lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180 // false for NaN
}
